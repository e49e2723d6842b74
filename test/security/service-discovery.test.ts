// Attack: a stranger (a tenant who signed up a minute ago) goes after another project's Service
// — by its name, its full name and its cluster IP from a pod of their own, by scanning the
// victim's Service range, by making a Service of the same name in their own project, and by
// asking the API for the victim's cluster IP — and gets nothing: the name does not resolve, the
// address does not answer, their own `db` is theirs alone, and the address is refused (422).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS_KIND, projectAddressings } from '../../shared/services/cluster-ips.ts';
import { serviceIPs } from '../../shared/services/addressing.ts';
import { podContainerName } from '../../shared/fleet/pod-container.ts';
import type { Pod, Service } from '../../shared/model/objects.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { docker, startServiceHarness, until, type ServiceHarness } from '../fleet/service-harness.ts';
import { openFrom, targets } from './net-probe.ts';

const tag = randomBytes(3).toString('hex');
const V = `victim-${tag}`;
const S = `stranger-${tag}`;
let h: ServiceHarness;
let victim = '';
let stranger = '';
let db: Service;

const running = (project: string, name: string) => until(`${name} running`, async () => (await h.api.store.get<Pod>({ kind: 'Pod', project, name }))?.status?.phase === 'Running');
const resolve = async (project: string, pod: string, name: string) => (await h.run(project, pod, ['sh', '-c', `timeout 5 getent hosts ${name} || echo none`])).trim().split(/\s+/)[0];

beforeAll(async () => {
  h = await startServiceHarness();
  victim = await h.project(V);
  stranger = await h.project(S);
  db = await h.service(victim, V, 'db', { selector: { app: 'db' }, ports: [{ port: 80, targetPort: 8080 }] });
  await h.pod(V, 'db-1', { labels: { app: 'db' }, who: 'victim-db' });
  await h.pod(V, 'client', { command: ['sleep', '3600'] });
  await h.pod(S, 'spy', { command: ['sleep', '3600'] });
  await Promise.all([running(V, 'client'), running(S, 'spy')]);
  await until("the victim's Service answering its own pods", async () => {
    await h.endpoints(V);
    return (await h.fetchFrom(V, 'client', ['http://db/']))[0] === 'victim-db';
  });
}, 600_000);

afterAll(async () => {
  await h?.stop();
});

describe("a stranger and another project's Service", () => {
  it("cannot resolve the Service's names from a pod of their own", async () => {
    expect(await resolve(S, 'spy', `db.${V}.svc`)).toBe('none');
    expect(await resolve(S, 'spy', 'db')).toBe('none');
  });

  it("cannot reach the cluster IP, nor any address of the victim's Service range", async () => {
    const spy = (await docker.getContainer(podContainerName(S, 'spy')).inspect()).Id;
    const range = serviceIPs(await projectAddressings(h.api.store)(V));
    expect(range).toContain(db.spec.clusterIP);
    expect(await openFrom(docker, spy, targets(range, [80, 8080]))).toEqual([]);
    // The victim's own client does reach it: the probe can see an open port.
    const client = (await docker.getContainer(podContainerName(V, 'client')).inspect()).Id;
    expect(await openFrom(docker, client, [{ host: db.spec.clusterIP!, port: 80 }])).toEqual([`${db.spec.clusterIP}:80`]);
  });

  it('claims the name `db` only on their own network: their pods get their Service, the victim keeps its own', async () => {
    const mine = await h.service(stranger, S, 'db', { selector: { app: 'mine' }, ports: [{ port: 80, targetPort: 8080 }] });
    expect(mine.spec.clusterIP).not.toBe(db.spec.clusterIP);
    await h.pod(S, 'mine-1', { labels: { app: 'mine' }, who: 'stranger-db' });
    await until("the stranger's own db answering", async () => {
      await h.endpoints(S);
      return (await h.fetchFrom(S, 'spy', ['http://db/']))[0] === 'stranger-db';
    });
    expect(await resolve(S, 'spy', 'db')).toBe(mine.spec.clusterIP);
    expect(await resolve(V, 'client', 'db')).toBe(db.spec.clusterIP);
    expect(await h.fetchFrom(V, 'client', ['http://db/', `http://db.${V}.svc/`])).toEqual(['victim-db', 'victim-db']);
  });

  it("cannot take the victim's cluster IP through the API, on create or on replace, and nothing is written", async () => {
    const made = await h.api.call('POST', `/api/v1/projects/${S}/services`, stranger, { metadata: { name: 'steal' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }], clusterIP: db.spec.clusterIP } });
    expect(made.status).toBe(422);
    expect(made.body.details).toEqual([expect.objectContaining({ field: 'spec.clusterIP' })]);
    const theirs = (await h.api.call('GET', `/api/v1/projects/${S}/services/db`, stranger)).body;
    const replaced = await h.api.call('PUT', `/api/v1/projects/${S}/services/db`, stranger, { ...theirs, spec: { ...theirs.spec, clusterIP: db.spec.clusterIP } });
    expect(replaced.status).toBe(422);
    expect(replaced.body.details).toEqual([expect.objectContaining({ field: 'spec.clusterIP' })]);
    // Nothing written: no Service `steal`, theirs as it was, no address claimed but theirs.
    expect((await h.api.call('GET', `/api/v1/projects/${S}/services/steal`, stranger)).status).toBe(404);
    const after = (await h.api.call('GET', `/api/v1/projects/${S}/services/db`, stranger)).body;
    expect(after.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
    expect(after.spec.clusterIP).toBe(theirs.spec.clusterIP);
    const claims = await collect(eachObject(h.api.store, ADDRESS_KIND, S));
    expect(claims.map((c) => c.spec)).toEqual([{ service: 'db' }]);
  });

  it("cannot take a held address even inside the victim's project (an editor asking for db's address gets 422)", async () => {
    const again = await h.api.call('POST', `/api/v1/projects/${V}/services`, victim, { metadata: { name: 'twin' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }], clusterIP: db.spec.clusterIP } });
    expect(again.status).toBe(422);
    expect(again.body.message).toMatch(/already allocated/);
  });

  it("selects none of the victim's pods with a Service whose named targetPort and selector match theirs", async () => {
    await h.pod(V, 'named-1', { labels: { app: 'named' }, who: 'victim-named', port: { containerPort: 8080, name: 'http' } });
    await running(V, 'named-1');
    await h.service(victim, V, 'named', { selector: { app: 'named' }, ports: [{ port: 80, targetPort: 'http' }] });
    await until("the victim's named Service answering its own pods", async () => {
      await h.endpoints(V);
      return (await h.fetchFrom(V, 'client', ['http://named/']))[0] === 'victim-named';
    });
    const grab = await h.service(stranger, S, 'grab', { selector: { app: 'named' }, ports: [{ port: 80, targetPort: 'http' }] });
    await h.endpoints(S);
    const stored = await h.api.store.get<Service>({ kind: 'Service', project: S, name: 'grab' });
    expect(stored!.status?.endpoints ?? []).toEqual([]);
    const answers = await h.fetchFrom(S, 'spy', ['http://grab/', `http://${grab.spec.clusterIP}/`, `http://named.${V}.svc/`]);
    expect(answers).toHaveLength(3);
    for (const a of answers) expect(a).toMatch(/^ERR /);
  });

  it('cannot make a UDP Service (422 naming the field): nothing is made that could forward datagrams', async () => {
    const res = await h.api.call('POST', `/api/v1/projects/${S}/services`, stranger, { metadata: { name: 'dns' }, spec: { selector: { app: 'named' }, ports: [{ port: 53, targetPort: 'http', protocol: 'UDP' }] } });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['spec.ports.0.protocol']);
    expect((await h.api.call('GET', `/api/v1/projects/${S}/services/dns`, stranger)).status).toBe(404);
  });
});
