// Quotas and limit ranges through the API, the ReplicationController controller and the CLI:
// the quota's status, a scale past it refused with the quota's words, a controller refused
// recording why, limit-range defaults filled into the pods it makes, and 422s naming the limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicationReconciler } from '../../shared/deploy/replication.ts';
import { deploymentConfigStatus } from '../../shared/deploy/rollout-status.ts';
import { DC_LABEL, RC_LABEL } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../../shared/model/objects.ts';
import { startCli, type CliHarness } from '../cli/harness.ts';

let h: CliHarness;
const P = 'shop';
const api = (method: string, path: string, token: string, body?: unknown) => h.api.call(method, `/api/v1/projects/${P}${path}`, token, body);
let alice: string;

const container = (resources?: unknown) => ({ name: 'web', image: 'registry.local/web@sha256:1', ...(resources ? { resources } : {}) });
const dc = (name: string, replicas: number, resources?: unknown) => ({
  metadata: { name },
  spec: { replicas, selector: { [DC_LABEL]: name }, template: { metadata: { labels: { [DC_LABEL]: name } }, spec: { containers: [container(resources)] } }, triggers: [] },
});
const rc = (name: string, dcName: string, replicas: number) => ({
  kind: 'ReplicationController',
  metadata: { name, project: P, labels: { [DC_LABEL]: dcName } },
  spec: { replicas, selector: { [RC_LABEL]: name }, template: { metadata: { labels: { app: dcName } }, spec: { containers: [{ ...container(), env: [], ports: [], resources: { requests: {}, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } }, minReadySeconds: 0 },
  status: { phase: 'Running', replicas: 0, readyReplicas: 0, availableReplicas: 0 },
});

beforeAll(async () => {
  h = await startCli();
  alice = await h.api.user('alice');
  await h.login('alice');
  expect((await h.berth(['new-project', P], 'alice')).code).toBe(0);
  const q = await api('POST', '/resourcequotas', h.api.adminToken, { metadata: { name: 'compute' }, spec: { hard: { pods: 2, 'requests.cpu': '1', 'limits.memory': '2Gi', secrets: 5 } } });
  expect(q.status).toBe(201);
});
afterAll(() => h.close());

describe('a quota', () => {
  it('shows its hard limits and exact use in status', async () => {
    const q = await api('GET', '/resourcequotas/compute', alice);
    expect(q.status).toBe(200);
    expect(q.body.status).toEqual({ hard: { pods: '2', 'requests.cpu': '1', 'limits.memory': '2Gi', secrets: '5' }, used: { pods: '0', 'requests.cpu': '0', 'limits.memory': '0', secrets: '0' } });
  });

  it('refuses a hard value that is not a quantity, naming the field', async () => {
    const r = await api('POST', '/resourcequotas', h.api.adminToken, { metadata: { name: 'bad' }, spec: { hard: { 'requests.memory': 'lots' } } });
    expect(r.status).toBe(422);
    expect(r.body.details.map((d: { field: string }) => d.field)).toEqual(['spec.hard.requests.memory']);
  });

  it('a revision scaled past it makes what fits, records FailedCreate and says why in its status and the DC\'s', async () => {
    await h.api.store.create(rc('web-1', 'web', 3));
    const rec = replicationReconciler({ store: h.api.store });
    const result = await rec.reconcile({ kind: 'ReplicationController', project: P, name: 'web-1' });
    expect(result.requeueAfter).toBeGreaterThan(0);
    const pods = (await h.api.store.list<Pod>('Pod', P)).items;
    expect(pods).toHaveLength(2);
    const message = 'exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2';
    const events = (await api('GET', '/events', alice)).body.items.map((e: any) => [e.spec.involvedObject.kind, e.spec.reason, e.spec.message]);
    expect(events).toContainEqual(['ReplicationController', 'FailedCreate', `Error creating: ${message}`]);
    expect(events).toContainEqual(['DeploymentConfig', 'FailedCreate', `web-1: Error creating: ${message}`]);
    const stored = (await h.api.store.get<ReplicationController>({ kind: 'ReplicationController', project: P, name: 'web-1' }))!;
    expect(stored.status.conditions).toEqual([expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message })]);
    const dcObj = { kind: 'DeploymentConfig', metadata: { generation: 1 }, spec: { replicas: 3, strategy: { type: 'Recreate' } }, status: { conditions: [] } } as unknown as DeploymentConfig;
    const status = deploymentConfigStatus({ dc: dcObj, rcs: [stored], now: Date.now() });
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: 'ReplicaFailure', status: 'True', message }));
    expect((await api('GET', '/resourcequotas/compute', alice)).body.status.used).toMatchObject({ pods: '2', 'requests.cpu': '200m', 'limits.memory': '512Mi' });
  });

  it('`berth get quota` and `berth describe quota` show used against hard', async () => {
    const got = await h.berth(['get', 'quota'], 'alice');
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^NAME\s+USED\/HARD\s+AGE\ncompute\s+limits\.memory: 512Mi\/2Gi, pods: 2\/2, requests\.cpu: 200m\/1, secrets: 0\/5\s+\S+\n$/);
    const described = await h.berth(['describe', 'quota', 'compute'], 'alice');
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(['Resource Usage:', '  RESOURCE        USED    HARD', '  limits.memory   512Mi   2Gi', '  pods            2       2', '  requests.cpu    200m    1', '  secrets         0       5'].join('\n'));
  });

  it('`berth scale` past it fails with the quota\'s message and changes nothing', async () => {
    expect((await api('POST', '/deploymentconfigs', alice, dc('api', 0))).status).toBe(201);
    const r = await h.berth(['scale', 'dc/api', '--replicas', '1'], 'alice');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
    expect((await api('GET', '/deploymentconfigs/api', alice)).body.spec.replicas).toBe(0);
  });

  it('a deleted pod gives its use back, and the controller makes the missing one', async () => {
    const [first] = (await h.api.store.list<Pod>('Pod', P)).items;
    expect((await api('DELETE', `/pods/${first!.metadata.name}`, alice)).status).toBe(204);
    expect((await api('GET', '/resourcequotas/compute', alice)).body.status.used.pods).toBe('1');
    await replicationReconciler({ store: h.api.store }).reconcile({ kind: 'ReplicationController', project: P, name: 'web-1' });
    expect((await h.api.store.list<Pod>('Pod', P)).items).toHaveLength(2);
    expect((await api('GET', '/resourcequotas/compute', alice)).body.status.used.pods).toBe('2');
  });
});

describe('a limit range', () => {
  beforeAll(async () => {
    const lr = { metadata: { name: 'limits' }, spec: { limits: [{ type: 'Container', default: { cpu: '300m', memory: '256Mi' }, defaultRequest: { cpu: '50m', memory: '64Mi' }, max: { cpu: '1', memory: '1Gi' }, min: { memory: '32Mi' }, maxLimitRequestRatio: { cpu: 8 } }] } };
    expect((await api('POST', '/limitranges', h.api.adminToken, lr)).status).toBe(201);
  });
  const field = (tail: string) => `spec.template.spec.containers.0.resources.${tail}`;

  it.each([
    ['a request above the max', { requests: { cpu: '2' }, limits: { cpu: '2' } }, [[field('requests.cpu'), 'at most 1 (LimitRange "limits", max cpu)'], [field('limits.cpu'), 'at most 1 (LimitRange "limits", max cpu)']]],
    ['memory under the min', { requests: { memory: '16Mi' }, limits: { memory: '16Mi' } }, [[field('requests.memory'), 'at least 32Mi (LimitRange "limits", min memory)'], [field('limits.memory'), 'at least 32Mi (LimitRange "limits", min memory)']]],
    ['a limit too many times the request', { requests: { cpu: '100m' }, limits: { cpu: '900m' } }, [[field('limits.cpu'), 'at most 8 times the request 100m (LimitRange "limits", maxLimitRequestRatio cpu)']]],
  ])('%s: 422 naming the limit, nothing written', async (_, resources, problems) => {
    const r = await api('POST', '/deploymentconfigs', alice, dc('big', 1, resources));
    expect(r.status).toBe(422);
    expect(r.body.details.map((d: { field: string; message: string }) => [d.field, d.message])).toEqual(problems);
    expect((await api('GET', '/deploymentconfigs/big', alice)).status).toBe(404);
  });

  it('fills defaults into the pods the controller makes', async () => {
    await h.api.store.create(rc('small-1', 'small', 0));
    const made = await h.api.store.get<ReplicationController>({ kind: 'ReplicationController', project: P, name: 'small-1' });
    // Room for one more pod: free one from the quota's point of view.
    for (const p of (await h.api.store.list<Pod>('Pod', P)).items) await h.api.store.delete({ kind: 'Pod', project: P, name: p.metadata.name });
    await h.api.store.delete({ kind: 'ReplicationController', project: P, name: 'web-1' });
    await h.api.store.update({ ...made!, spec: { ...made!.spec, replicas: 1 } });
    await replicationReconciler({ store: h.api.store }).reconcile({ kind: 'ReplicationController', project: P, name: 'small-1' });
    const [pod] = (await h.api.store.list<Pod>('Pod', P, { labels: { [RC_LABEL]: 'small-1' } })).items;
    expect(pod!.spec.containers[0]!.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '300m', memory: '256Mi' } });
  });
});
