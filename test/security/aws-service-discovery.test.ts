// Attack, on AWS: a stranger (a tenant who signed up a minute ago) goes after another project's
// Service names in Cloud Map and its Services' proxies — through the real API on DynamoDB Local,
// the real endpoints and service-discovery reconcilers and project finalizer, and Cloud Map and
// ECS as their API References describe them (aws-sdk-client-mock, cloud-map-fake.ts,
// ecs-proxy-fake.ts). The stranger makes a Service of the
// same name whose selector matches the victim's pods' labels, labels their own pods like the
// victim's, asks for an address with spec.clusterIP (Services hold none on AWS), tries to make
// or change Services in the victim's project and to name a project or
// Service so that its name lands in the victim's namespace, and deletes their own project. The
// victim's name answers only the victim's ready pods, nothing of the stranger's is registered
// into the victim's namespace, the stranger's pods are told only their own Services' names, and
// the stranger's project leaves with its own namespace only. The stranger's Service's proxy runs
// on the stranger's network and resolves only the stranger's pods; the victim's proxy runs in
// the victim's security group, which a stranger's pod is not in. Resolving a name is not
// reaching it: the victim's group lets in only the victim's own pods and proxies (and the routers).
import { beforeAll, describe, expect, it } from 'vitest';
import { projectIngressInput } from '../../shared/aws/pod-network.ts';
import { endpointsReconciler } from '../../shared/deploy/endpoints.ts';
import { startConfigOf } from '../../shared/fleet/pod-sync.ts';
import type { Pod, Service } from '../../shared/model/objects.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import { ENDPOINT_SHARDS, shardName, shardOf } from '../../shared/services/endpoint-shards.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { awsDiscovery } from '../support/aws-discovery.ts';
import type { FakeCloudMap } from '../aws/cloud-map-fake.ts';
import type { FakeEcsProxies } from '../aws/ecs-proxy-fake.ts';

const V = 'shop';
const S = 'lab';
let api: TestApi;
let victim = '';
let stranger = '';
let cloudMap: FakeCloudMap;
let ecs: FakeEcsProxies;
/** Each project's security group, as the fleet's ProjectSecurityGroups names it. */
const groupOf = (project: string) => `sg-0${project}0000000000`;
/** The proxy task of `project`'s Service `db`, and the HAProxy configuration it runs. */
const proxyOf = (project: string) => {
  const t = ecs.live().find((x) => x.group === `berth-proxy:${project}/db`)!;
  return { task: t, config: ecs.configOf(t) };
};
let discovery: Reconciler;
let finalizer: Reconciler;
let endpoints: Reconciler;

const containers = [{ name: 'db', image: 'x', env: [], ports: [{ containerPort: 5432, protocol: 'TCP' }], resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: {} } }];
/** A pod as the ECS fleet leaves it: running as an awsvpc task at its own address, ready. */
async function readyPod(project: string, name: string, labels: Record<string, string>, ip: string): Promise<Pod> {
  const p = await api.store.create<Pod>({ kind: 'Pod', metadata: { name, project, labels }, spec: { containers, restartPolicy: 'Always', terminationGracePeriodSeconds: 10, host: 'ip-10-0-3-17' } as never, status: { phase: 'Pending', conditions: [], restartCount: 0 } });
  return api.store.updateStatus<Pod>({
    ...p,
    status: { phase: 'Running', hostIP: '10.0.3.17', podIP: ip, restartCount: 0, ports: [{ containerPort: 5432, hostIP: ip, hostPort: 5432 }], conditions: [{ type: 'Ready', status: 'True' }] },
  });
}
const dbService = { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' }] } };

/** What the stream would do after the pods and Services changed: endpoints, then names (until nothing is pending). */
async function settle(project: string): Promise<void> {
  for (const s of ['db']) await endpoints.reconcile({ kind: 'Service', project, name: s });
  for (let i = 0; i < 10; i++) {
    if (!(await discovery.reconcile({ kind: 'Service', project, name: 'db' })).requeueAfter) return;
    ecs.startAll((n) => `10.0.${project === V ? 3 : 9}.${200 + n}`);
  }
  throw new Error('names still pending');
}
/** Every RegisterInstance sent into the shards of the Cloud Map services of `project/name`, as `ip:port`. */
const registeredInto = (project: string, name: string) => {
  const ns = [...cloudMap.namespaces.values()].find((n) => n.Name === `${project}.svc`)!;
  const shards = new Set([...cloudMap.services.values()].filter((s) => s.NamespaceId === ns.Id && shardOf(name, s.Name) !== undefined).map((s) => s.Id));
  return cloudMap.sent().filter((c) => c.name === 'RegisterInstance' && shards.has(c.input.ServiceId as string)).map((c) => {
    const a = c.input.Attributes as Record<string, string>;
    return `${a.AWS_INSTANCE_IPV4}:${a.AWS_INSTANCE_PORT}`;
  });
};

beforeAll(async () => {
  // As the API Lambda is wired (functions/wire.ts): Services are reached by name, no cluster IPs.
  api = await testApi({ servicesByName: true });
  ({ cloudMap, ecs, discovery, finalizer } = await awsDiscovery(api.store, groupOf));
  endpoints = endpointsReconciler({ store: api.store });
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  for (const [who, project] of [[victim, V], [stranger, S]] as const) {
    expect((await api.call('POST', '/api/v1/projects', who, { metadata: { name: project }, spec: {} })).status).toBe(201);
    expect((await api.call('POST', `/api/v1/projects/${project}/services`, who, dbService)).status).toBe(201);
  }
  await readyPod(V, 'db-1-v1', { app: 'db' }, '10.0.3.41');
  // The stranger's pods carry the victim's labels; their Service selects the victim's labels too.
  await readyPod(S, 'db-1-s1', { app: 'db' }, '10.0.9.9');
  await settle(V);
  await settle(S);
}, 60_000);

describe('a stranger and the victim\'s Service names on AWS', () => {
  it('the victim\'s names answer only the victim\'s ready pod and proxy; the stranger\'s same-named Service is the stranger\'s alone', () => {
    expect(cloudMap.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-v1 10.0.3.41:5432']);
    expect(cloudMap.answers('db.endpoints-0.lab.svc')).toEqual(['db-1-s1 10.0.9.9:5432']);
    expect(cloudMap.answers('db.shop.svc')).toEqual(['proxy 10.0.3.201:5432']);
    expect(cloudMap.answers('db.lab.svc')).toEqual(['proxy 10.0.9.201:5432']);
    expect(registeredInto(V, 'db')).toEqual(['10.0.3.41:5432']);
    expect(registeredInto(S, 'db')).toEqual(['10.0.9.9:5432']);
  });

  it.each([
    ['make a Service in the victim\'s project', 'POST', `/api/v1/projects/${V}/services`, { metadata: { name: 'evil' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] } }],
    ['change the victim\'s Service\'s selector', 'PUT', `/api/v1/projects/${V}/services/db`, { ...dbService, spec: { ...dbService.spec, selector: { app: 'nothing' } } }],
    ['delete the victim\'s Service', 'DELETE', `/api/v1/projects/${V}/services/db`, undefined],
  ])('cannot %s (403), and the victim\'s name is unchanged', async (_what, method, path, body) => {
    const before = cloudMap.sent().length;
    const res = await api.call(method, path, stranger, body);
    expect([403, 404]).toContain(res.status);
    await settle(V);
    expect(cloudMap.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-v1 10.0.3.41:5432']);
    expect(cloudMap.sent().slice(before).filter((c) => /Register|Create|Delete/.test(c.name))).toEqual([]);
  });

  it.each([
    ['a Service whose name reaches into the victim\'s namespace', `/api/v1/projects/${S}/services`, { ...dbService, metadata: { name: 'db.shop' } }],
    ['a Service named like the victim\'s endpoints\' name', `/api/v1/projects/${S}/services`, { ...dbService, metadata: { name: 'db.endpoints.shop' } }],
    ['a Service named like a shard of the victim\'s endpoints', `/api/v1/projects/${S}/services`, { ...dbService, metadata: { name: 'db.endpoints-1.shop' } }],
    ['a Service in its own project named like a shard of its own Service', `/api/v1/projects/${S}/services`, { ...dbService, metadata: { name: 'db.endpoints-1' } }],
    ['a project named like the victim\'s namespace', '/api/v1/projects', { metadata: { name: 'shop.svc' }, spec: {} }],
  ])('cannot make %s (4xx naming the field)', async (_what, path, body) => {
    const res = await api.call('POST', path, stranger, body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.stringify(res.body)).toMatch(/name/);
  });

  it('cannot hold an address on the victim\'s network: a Service asking for a cluster IP is 422 naming spec.clusterIP, nothing made', async () => {
    const before = cloudMap.sent().length;
    const res = await api.call('POST', `/api/v1/projects/${S}/services`, stranger, { ...dbService, metadata: { name: 'squat' }, spec: { ...dbService.spec, clusterIP: '10.0.3.41' } });
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('spec.clusterIP');
    expect(await api.store.get({ kind: 'Service', project: S, name: 'squat' })).toBeUndefined();
    expect(cloudMap.sent().slice(before)).toEqual([]);
  });

  it('the stranger\'s pods are told only their own Services, by their own names', async () => {
    const pod = (await api.store.get<Pod>({ kind: 'Pod', project: S, name: 'db-1-s1' }))!;
    const { env } = await startConfigOf(api.store, undefined, pod, { serviceNames: true });
    const vars = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(vars).toMatchObject({ LOCALDOMAIN: 'lab.svc', DB_SERVICE_HOST: 'db.lab.svc', DB_SERVICE_PORT: '5432', DB_SERVICE_PORT_PG: '5432', DB_PORT: 'tcp://db.lab.svc:5432' });
    expect(JSON.stringify(env)).not.toMatch(/shop/);
  });

  it('the stranger\'s proxy runs on the stranger\'s network and resolves only the stranger\'s pods; the victim\'s runs in the victim\'s group', () => {
    const mine = proxyOf(S);
    const theirs = proxyOf(V);
    expect(mine.task.input.networkConfiguration?.awsvpcConfiguration?.securityGroups).toEqual([groupOf(S)]);
    expect(theirs.task.input.networkConfiguration?.awsvpcConfiguration?.securityGroups).toEqual([groupOf(V)]);
    const shards = (project: string) => Array.from({ length: ENDPOINT_SHARDS }, (_, k) => `${shardName('db', k)}.${project}.svc`);
    expect([...new Set(mine.config.match(/[\w.-]+\.svc\b/g))]).toEqual(shards(S));
    expect([...new Set(theirs.config.match(/[\w.-]+\.svc\b/g))]).toEqual(shards(V));
    // Every proxy task the stranger's Service caused is in the stranger's group, tagged with the stranger's project.
    for (const t of ecs.live().filter((x) => x.tags?.some((g) => g.key === 'berth:project' && g.value === S))) {
      expect(t.input.networkConfiguration?.awsvpcConfiguration?.securityGroups).toEqual([groupOf(S)]);
    }
  });

  it('a resolved name is not a way in: the victim\'s pods\' group admits only the victim\'s own pods and the routers', () => {
    const ingress = projectIngressInput('sg-0victim000000000', 'sg-0routers00000000');
    const admitted = ingress.IpPermissions.flatMap((p) => p.UserIdGroupPairs.map((g) => g.GroupId));
    expect(admitted.sort()).toEqual(['sg-0routers00000000', 'sg-0victim000000000']);
    expect(ingress.IpPermissions.some((p) => 'IpRanges' in p)).toBe(false);
  });

  it('the stranger\'s Service growing past one shard (ten ready pods) makes shards in the stranger\'s namespace only', async () => {
    for (let i = 2; i <= 10; i++) await readyPod(S, `db-1-s${i}`, { app: 'db' }, `10.0.9.${10 + i}`);
    await settle(S);
    const namesIn = (project: string) => {
      const ns = [...cloudMap.namespaces.values()].find((n) => n.Name === `${project}.svc`)!;
      return [...cloudMap.services.values()].filter((x) => x.NamespaceId === ns.Id).map((x) => x.Name).sort();
    };
    expect(namesIn(S)).toEqual(['db', 'db.endpoints-0', 'db.endpoints-1']);
    expect(namesIn(V)).toEqual(['db', 'db.endpoints-0']);
    expect([...cloudMap.answers('db.endpoints-0.lab.svc'), ...cloudMap.answers('db.endpoints-1.lab.svc')]).toHaveLength(10);
    expect(registeredInto(V, 'db')).toEqual(['10.0.3.41:5432']);
    expect(cloudMap.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-v1 10.0.3.41:5432']);
  });

  it('the stranger deleting their own project removes their namespace only; the victim\'s names stay', async () => {
    expect((await api.call('DELETE', `/api/v1/projects/${S}`, stranger)).status).toBeLessThan(300);
    const ref = { kind: 'Project', project: '', name: S };
    for (let i = 0; i < 20 && (await api.store.get(ref)); i++) {
      const { requeueAfter } = await finalizer.reconcile(ref);
      // The stream: the deleted Service's record wakes the names reconciler.
      await discovery.reconcile({ kind: 'Service', project: S, name: 'db' });
      if (requeueAfter === undefined) break;
    }
    expect(await api.store.get(ref)).toBeUndefined();
    expect([...cloudMap.namespaces.values()].map((n) => n.Name)).toEqual(['shop.svc']);
    expect(cloudMap.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-v1 10.0.3.41:5432']);
    expect(cloudMap.answers('db.shop.svc')).toEqual(['proxy 10.0.3.201:5432']);
    // The stranger's proxy went with their Service; the victim's runs on.
    expect(ecs.live().map((t) => t.group)).toEqual(['berth-proxy:shop/db']);
    const deletions = cloudMap.sent().filter((c) => c.name === 'DeleteNamespace' || c.name === 'DeleteService');
    expect(deletions.length).toBeGreaterThan(0);
    const victimIds = new Set([...cloudMap.namespaces.keys(), ...cloudMap.services.keys()]);
    for (const d of deletions) expect(victimIds.has(d.input.Id as string)).toBe(false);
  });
});
