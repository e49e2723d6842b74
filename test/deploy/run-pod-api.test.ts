// POST …/deploymentconfigs/{name}/run: the one-off pod of `berth run` — made from the running
// revision's template (its image, env, limits), with none of its labels (no Service or RC takes
// it), never restarted; admitted against the quota as any pod; `edit` needed; bad input a 422
// naming the field, with nothing made; each run an event naming who ran what.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../shared/model/objects.ts';
import { projectWithViewer, testApi, type TestApi } from '../support/api.ts';

const P = 'runapi';
let api: TestApi;
let owner: string;
let viewer: string;
const base = `/api/v1/projects/${P}/deploymentconfigs`;

const oneOffs = async () => ((await api.call('GET', `/api/v1/projects/${P}/pods?labelSelector=berth.io%2Frun-of%3Dweb`, owner)).body.items as Pod[]);

beforeAll(async () => {
  api = await testApi();
  ({ owner, viewer } = await projectWithViewer(api, P));
  const container = { name: 'web', image: 'registry.local/web@sha256:1', env: [{ name: 'DJANGO_SETTINGS', value: 'prod' }], ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '300m', memory: '256Mi' } }, readinessProbe: { tcpSocket: { port: 8080 } } };
  const dc = { metadata: { name: 'web' }, spec: { replicas: 1, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } }, triggers: [] } };
  expect((await api.call('POST', base, owner, dc)).status).toBe(201);
});

describe('POST …/deploymentconfigs/{name}/run', () => {
  it("makes a pod of the template running the command once, with the template's image, env and limits and none of its labels", async () => {
    const r = await api.call('POST', `${base}/web/run`, owner, { command: ['python', 'manage.py', 'migrate'] });
    expect(r.status).toBe(201);
    const pod = r.body as Pod;
    expect(pod.metadata.name).toMatch(/^web-run-[a-z0-9]{5}$/);
    expect(pod.metadata.labels).toEqual({ 'berth.io/run-of': 'web' });
    expect(pod.metadata.annotations).toMatchObject({ 'berth.io/run-by': 'owner' });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.host).toBeUndefined();
    const c = pod.spec.containers[0]!;
    expect(c).toMatchObject({ image: 'registry.local/web@sha256:1', command: ['python', 'manage.py', 'migrate'], env: [{ name: 'DJANGO_SETTINGS', value: 'prod' }], ports: [] });
    expect(c.resources.limits).toMatchObject({ cpu: '300m', memory: '256Mi' });
    expect(c.readinessProbe).toBeUndefined();
    // The Service's selector (app=web) does not take it.
    expect((await api.call('GET', `/api/v1/projects/${P}/pods?labelSelector=app%3Dweb`, owner)).body.items).toEqual([]);
  });

  it("runs the running revision's template once there is one, not a later change of the DC not rolled out", async () => {
    expect((await api.call('POST', `${base}/web/instantiate`, owner)).status).toBe(201);
    const dc = (await api.call('GET', `${base}/web`, owner)).body;
    dc.spec.template.spec.containers[0].image = 'registry.local/web@sha256:2';
    expect((await api.call('PUT', `${base}/web`, owner, dc)).status).toBe(200);
    const r = await api.call('POST', `${base}/web/run`, owner, { command: ['true'] });
    expect(r.body.spec.containers[0].image).toBe('registry.local/web@sha256:1');
  });

  it('takes another image', async () => {
    const r = await api.call('POST', `${base}/web/run`, owner, { command: ['psql'], image: 'postgres:16' });
    expect(r.status).toBe(201);
    expect(r.body.spec.containers[0]).toMatchObject({ image: 'postgres:16', command: ['psql'] });
  });

  it('records who ran what as an event on the pod', async () => {
    const events = (await api.call('GET', `/api/v1/projects/${P}/events`, viewer)).body.items as { spec: { reason: string; message: string } }[];
    expect(events.filter((e) => e.spec.reason === 'Run').map((e) => e.spec.message)).toContain('user "owner" run: python manage.py migrate');
  });

  it.each([
    [{ command: [] }, 'command'],
    [{}, 'command'],
    [{ command: ['true'], image: '' }, 'image'],
    [{ command: ['true'], replicas: 3 }, 'replicas'],
  ])('bad input %j is a 422 naming %s, and no pod is made', async (body, field) => {
    const before = (await oneOffs()).length;
    const r = await api.call('POST', `${base}/web/run`, owner, body);
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toContain(field);
    expect((await oneOffs()).length).toBe(before);
  });

  it('a DeploymentConfig that does not exist is a 404', async () => {
    expect((await api.call('POST', `${base}/nope/run`, owner, { command: ['true'] })).status).toBe(404);
  });

  it('a viewer gets 403 and nothing is made', async () => {
    const before = (await oneOffs()).length;
    expect((await api.call('POST', `${base}/web/run`, viewer, { command: ['true'] })).status).toBe(403);
    expect((await oneOffs()).length).toBe(before);
  });

  it("counts against the project's quota: a run that does not fit is refused, and nothing is made", async () => {
    const used = (await api.call('GET', `/api/v1/projects/${P}/pods`, owner)).body.items.length as number;
    await api.store.create({ kind: 'ResourceQuota', metadata: { name: 'compute', project: P }, spec: { hard: { pods: used } } });
    const before = (await oneOffs()).length;
    const r = await api.call('POST', `${base}/web/run`, owner, { command: ['true'] });
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/quota/i);
    expect((await oneOffs()).length).toBe(before);
  });
});
