// Services at a stable address on the real Docker Engine and DynamoDB Local: a Service made
// through the API gets a cluster IP in its project's range; a pod started after it reaches it as
// `db`, `db.<project>.svc` and `$DB_SERVICE_HOST:$DB_SERVICE_PORT`, on the Service's port (80)
// forwarded to the pods' target port (8080); a pod that is not ready gets no traffic; when the
// Service's pod is deleted and replaced the address stays and traffic follows; an open
// connection survives the proxy's reload; a restart of the host side (as `npm run up`'s) makes
// the proxy again at the same address; the proxy goes with the Service.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminatePod } from '../../shared/deploy/pods.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { proxyContainerName } from '../../shared/fleet/docker-service-proxies.ts';
import type { Service } from '../../shared/model/objects.ts';
import { docker, startServiceHarness, until, type ServiceHarness } from './service-harness.ts';

const P = `svcs-${randomBytes(3).toString('hex')}`;
let h: ServiceHarness;
let token = '';
let db: Service;

const DB_URLS = ['http://db/', `http://db.${P}.svc/`, '"http://$DB_SERVICE_HOST:$DB_SERVICE_PORT/"'];

beforeAll(async () => {
  h = await startServiceHarness();
  token = await h.project(P);
  db = await h.service(token, P, 'db', { selector: { app: 'db' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
  await h.pod(P, 'db-1', { labels: { app: 'db' }, who: 'db-1' });
  await h.pod(P, 'db-lazy', { labels: { app: 'db' }, who: 'unready', ready: false });
  await h.pod(P, 'client', { command: ['sleep', '3600'] });
  await until('db-1 ready and listed', async () => {
    await h.endpoints(P);
    const s = await h.api.store.get<Service>({ kind: 'Service', project: P, name: 'db' });
    return s?.status?.endpoints?.some((e) => e.pod === 'db-1');
  });
  await until('the client running', async () => (await h.api.store.get<Pod>({ kind: 'Pod', project: P, name: 'client' }))?.status?.phase === 'Running');
}, 600_000);

afterAll(async () => {
  await h?.stop();
});

describe('a Service at its cluster IP', () => {
  it("is given an address in its project's Service range when it is created, shown by get", async () => {
    expect(db.spec.clusterIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    const last = Number(db.spec.clusterIP!.split('.')[3]);
    // The second half of the project's /25: never an address Docker gives a pod.
    expect(last % 128).toBeGreaterThanOrEqual(64);
    const read = await h.api.call('GET', `/api/v1/projects/${P}/services/db`, token);
    expect(read.body.spec.clusterIP).toBe(db.spec.clusterIP);
  });

  it("gives a pod started after it Kubernetes' variables: the cluster IP and the Service's own port", async () => {
    const env = await h.run(P, 'client', ['env']);
    expect(env).toContain(`DB_SERVICE_HOST=${db.spec.clusterIP}\n`);
    expect(env).toContain('DB_SERVICE_PORT=80\n');
    expect(env).toContain('DB_SERVICE_PORT_HTTP=80\n');
    expect(env).toContain(`DB_PORT=tcp://${db.spec.clusterIP}:80\n`);
    expect(env).toContain(`DB_PORT_80_TCP_ADDR=${db.spec.clusterIP}\n`);
  });

  it('is reached by name, by full name and by its variables, on port 80 forwarded to 8080, from a pod of its project', async () => {
    const answers = await until('the proxy answering', async () => {
      const out = await h.fetchFrom(P, 'client', DB_URLS);
      return out.every((l) => l === 'db-1') && out;
    });
    expect(answers).toEqual(['db-1', 'db-1', 'db-1']);
    const resolved = await h.run(P, 'client', ['getent', 'hosts', 'db', `db.${P}.svc`]);
    expect(resolved.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual([db.spec.clusterIP, db.spec.clusterIP]);
  });

  it('sends nothing to a pod that is not ready', async () => {
    const out = await h.fetchFrom(P, 'client', Array.from({ length: 12 }, () => 'http://db/'));
    expect(out).toHaveLength(12);
    expect(new Set(out)).toEqual(new Set(['db-1']));
  });

  it('keeps its address while its pod is deleted and replaced, and traffic follows the new pod', async () => {
    await terminatePod(h.api.store, (await h.api.store.get<Pod>({ kind: 'Pod', project: P, name: 'db-1' }))!);
    h.agent.kick({ project: P, name: 'db-1' });
    await until('no endpoint left', async () => {
      await h.endpoints(P);
      const out = await h.fetchFrom(P, 'client', ['http://db/']);
      return out[0]!.startsWith('ERR');
    });
    await h.pod(P, 'db-2', { labels: { app: 'db' }, who: 'db-2' });
    const answers = await until('the new pod answering', async () => {
      await h.endpoints(P);
      const out = await h.fetchFrom(P, 'client', DB_URLS);
      return out.every((l) => l === 'db-2') && out;
    });
    expect(answers).toEqual(['db-2', 'db-2', 'db-2']);
    const again = await h.api.store.get<Service>({ kind: 'Service', project: P, name: 'db' });
    expect(again!.spec.clusterIP).toBe(db.spec.clusterIP);
    const resolved = await h.run(P, 'client', ['getent', 'hosts', 'db']);
    expect(resolved.split(/\s+/)[0]).toBe(db.spec.clusterIP);
  });

  it('keeps an open connection through a reload of the proxy (a new endpoint)', async () => {
    // A keep-alive connection is opened, the endpoints change (the proxy reloads), and the same connection still answers.
    const script = [
      'import http.client, time, sys',
      'c = http.client.HTTPConnection("db", 80, timeout=10)',
      'c.request("GET", "/"); r = c.getresponse(); print(r.read().decode()); sys.stdout.flush()',
      'time.sleep(6)',
      'c.request("GET", "/"); r = c.getresponse(); print(r.read().decode())',
    ].join('\n');
    const held = h.run(P, 'client', ['python3', '-c', script]);
    await new Promise((r) => setTimeout(r, 1000));
    await h.pod(P, 'db-3', { labels: { app: 'db' }, who: 'db-3' });
    await until('db-3 listed', async () => {
      await h.endpoints(P);
      const s = await h.api.store.get<Service>({ kind: 'Service', project: P, name: 'db' });
      return s?.status?.endpoints?.some((e) => e.pod === 'db-3');
    });
    const lines = (await held).trim().split('\n');
    expect(lines).toEqual(['db-2', 'db-2']);
  });

  it('keeps its address across a restart of the host side (pods, proxies and networks removed and made again)', async () => {
    const old = (await docker.getContainer(proxyContainerName(P, 'db', h.networkOwner)).inspect()).Id;
    await h.restart();
    const answers = await until('the Service answering again', async () => {
      await h.endpoints(P);
      const out = await h.fetchFrom(P, 'client', DB_URLS).catch(() => []);
      return out.length === 3 && out.every((l) => l === 'db-2' || l === 'db-3') && out;
    }, 120_000);
    expect(answers).toHaveLength(3);
    const proxy = await docker.getContainer(proxyContainerName(P, 'db', h.networkOwner)).inspect();
    expect(proxy.Id).not.toBe(old);
    expect(Object.values(proxy.NetworkSettings.Networks)[0]!.IPAddress).toBe(db.spec.clusterIP);
    const env = await h.run(P, 'client', ['env']);
    expect(env).toContain(`DB_SERVICE_HOST=${db.spec.clusterIP}\n`);
  });

  it('goes with its Service: the proxy is removed and the name no longer resolves', async () => {
    const proxy = proxyContainerName(P, 'db', h.networkOwner);
    expect((await docker.getContainer(proxy).inspect()).State.Running).toBe(true);
    const gone = await h.api.call('DELETE', `/api/v1/projects/${P}/services/db`, token);
    expect(gone.status).toBe(204);
    h.agent.kickServices(P);
    await until('the proxy removed', async () => {
      const list = await docker.listContainers({ all: true, filters: { name: [proxy] } });
      return list.length === 0;
    });
    const resolved = await h.run(P, 'client', ['sh', '-c', 'timeout 5 getent hosts db || echo none']);
    expect(resolved.trim()).toBe('none');
  });
});

describe('a Service whose targetPort names a container port', () => {
  it('forwards to the port of that name in each pod, whatever its number, and skips pods without one', async () => {
    await h.service(token, P, 'web', { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] });
    await h.pod(P, 'web-a', { labels: { app: 'web' }, who: 'web-a', port: { containerPort: 8080, name: 'http' } });
    await h.pod(P, 'web-b', { labels: { app: 'web' }, who: 'web-b', port: { containerPort: 9090, name: 'http' } });
    await h.pod(P, 'web-c', { labels: { app: 'web' }, who: 'web-c', port: { containerPort: 8080, name: 'metrics' } });
    const seen = await until('both named pods answering through the proxy', async () => {
      await h.endpoints(P);
      const out = new Set(await h.fetchFrom(P, 'client', Array.from({ length: 12 }, () => 'http://web/')));
      // A round with a failed request (a proxy reloading as the endpoints settle) is asked again.
      return out.has('web-a') && out.has('web-b') && ![...out].some((x) => x.startsWith('ERR')) && out;
    });
    expect(seen).toEqual(new Set(['web-a', 'web-b']));
    const svc = await h.api.store.get<Service>({ kind: 'Service', project: P, name: 'web' });
    expect(svc!.status.endpoints.map((e) => [e.pod, e.ports[0]!.targetPort])).toEqual([['web-a', 8080], ['web-b', 9090]]);
  });

  it.each([
    ['a UDP port', { port: 53, protocol: 'UDP' }, 'spec.ports.0.protocol'],
    ['a target port name with upper case', { port: 80, targetPort: 'HTTP' }, 'spec.ports.0.targetPort'],
    ['a target port name of digits only', { port: 80, targetPort: '8080' }, 'spec.ports.0.targetPort'],
    ['a target port name over 15 characters', { port: 80, targetPort: 'a-very-long-port-name' }, 'spec.ports.0.targetPort'],
  ])('refuses %s with a 422 naming the field, and makes nothing', async (_what, port, field) => {
    const res = await h.api.call('POST', `/api/v1/projects/${P}/services`, token, { metadata: { name: 'refused' }, spec: { selector: { app: 'web' }, ports: [port] } });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await h.api.store.get({ kind: 'Service', project: P, name: 'refused' })).toBeUndefined();
  });
});
