// Attack: a stranger who just signed up goes after the shared project `openshift`, whose image
// streams every project builds and runs from. Reading them and using their images works; writing,
// deleting or re-tagging anything there, binding themselves a role, taking the project's name,
// deleting the project, making a build push into it, or building from another tenant's tag
// through a namespace is refused — through the API, with the
// project left as it was.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordImage } from '../../shared/builds/agent.ts';
import { DENY_LOCAL } from '../../shared/builds/git-source.ts';
import { ensureSharedProject, SHARED_PROJECT } from '../../shared/project/openshift.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { stranger } from './build-support.ts';

const suffix = randomBytes(3).toString('hex');
const MALLORY = `mallory-${suffix}`;
const DIGEST = `sha256:${randomBytes(32).toString('hex')}`;
let api: TestApi;
let token: string;
let registry: string;
let before: unknown;

const stream = (name: string) => ({ metadata: { name }, spec: { tags: [{ name: 'latest', from: { kind: 'DockerImage', name: 'docker.io/library/busybox:1' } }] } });
const dc = (image: string) => ({
  metadata: { name: 'db' },
  spec: { selector: { app: 'db' }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } }, triggers: [] },
});
const bc = (to: Record<string, string>, from = `${registry}/${SHARED_PROJECT}/python:3.11`) => ({
  metadata: { name: 'app' },
  spec: {
    source: { git: { uri: 'https://git.example.com/me/app.git' } },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: from } } },
    output: { to },
  },
});
const path = (rest: string) => `/api/v1/projects/${SHARED_PROJECT}/${rest}`;

beforeAll(async () => {
  registry = inject('registryHost');
  api = await testApi({ buildPolicy: { git: DENY_LOCAL, registry: { host: registry, prefix: '', shared: ['berth', SHARED_PROJECT] } } });
  await ensureSharedProject(api.store);
  await ensureSharedProject(api.store); // at every start: the second call changes nothing
  await recordImage(api.store, SHARED_PROJECT, 'postgresql', '15', { created: new Date().toISOString(), dockerImageReference: `${registry}/${SHARED_PROJECT}/postgresql@${DIGEST}`, image: DIGEST });
  token = await stranger(api, 'mallory', MALLORY);
  before = (await api.call('GET', path('imagestreams/postgresql'), api.adminToken)).body;
}, 120_000);

afterAll(async () => {
  // Nothing in the shared project moved.
  expect((await api.call('GET', path('imagestreams/postgresql'), api.adminToken)).body).toEqual(before);
});

describe('a stranger reads the shared project', () => {
  it('lists and reads its image streams', async () => {
    const list = await api.call('GET', path('imagestreams'), token);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['postgresql']);
    const one = await api.call('GET', path('imagestreams/postgresql'), token);
    expect(one.status).toBe(200);
    expect(one.body.status.tags[0]).toMatchObject({ tag: '15', items: [{ image: DIGEST }] });
  });

  it('runs and builds from its images in their own project', async () => {
    const d = await api.call('POST', `/api/v1/projects/${MALLORY}/deploymentconfigs`, token, dc(`${registry}/${SHARED_PROJECT}/postgresql:15`));
    expect(d.status).toBe(201);
    const b = await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, bc({ kind: 'ImageStreamTag', name: 'app:latest' }));
    expect(b.status).toBe(201);
  });
});

describe('a stranger cannot change the shared project', () => {
  it.each([
    ['create an image stream', 'POST', 'imagestreams', stream('python')],
    ['replace an image stream (re-tag it)', 'PUT', 'imagestreams/postgresql', stream('postgresql')],
    ['delete an image stream', 'DELETE', 'imagestreams/postgresql', undefined],
    ['write an image stream\'s status (move a tag)', 'PUT', 'imagestreams/postgresql/status', { status: { tags: [{ tag: '15', items: [] }] } }],
    ['bind themselves a role', 'POST', 'rolebindings', { metadata: { name: 'mine' }, spec: { role: 'admin', subjects: [{ kind: 'User', name: 'mallory' }] } }],
    ['delete the readers\' binding', 'DELETE', 'rolebindings/shared-resource-viewers', undefined],
    ['create a DeploymentConfig there', 'POST', 'deploymentconfigs', dc(`${registry}/${SHARED_PROJECT}/postgresql:15`)],
    ['create a BuildConfig there', 'POST', 'buildconfigs', bc({ kind: 'ImageStreamTag', name: 'python:latest' })],
  ])('%s: 403', async (_, method, rest, body) => {
    const res = await api.call(method, path(rest), token, body);
    expect(res.status).toBe(403);
  });

  it('cannot delete the project or take its name', async () => {
    expect((await api.call('DELETE', `/api/v1/projects/${SHARED_PROJECT}`, token)).status).toBe(403);
    const taken = await api.call('POST', '/api/v1/projects', token, { metadata: { name: SHARED_PROJECT } });
    expect(taken.status).toBe(403);
    expect((await api.call('GET', `/api/v1/projects/${SHARED_PROJECT}`, api.adminToken)).body.metadata.annotations['berth.io/requester']).toBe('system:admin');
  });

  it('cannot make a build of their own push into it: an output in another namespace is a 422 naming the field', async () => {
    const res = await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, { ...bc({ kind: 'ImageStreamTag', name: 'python:latest', namespace: SHARED_PROJECT }), metadata: { name: 'push' } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.details)).toContain('spec.output.to');
    const image = await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, { ...bc({ kind: 'DockerImage', name: `${registry}/${SHARED_PROJECT}/python:3.11` }), metadata: { name: 'push2' } });
    expect(image.status).toBe(422);
    expect(JSON.stringify(image.body.details)).toContain('spec.output.to');
  });

  it('cannot build from another tenant\'s ImageStreamTag by naming its namespace: a 422 naming the field', async () => {
    const spec = bc({ kind: 'ImageStreamTag', name: 'app:latest' });
    const from = { kind: 'ImageStreamTag', name: 'python:3.11', namespace: `victim-${suffix}` };
    const res = await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, { metadata: { name: 'steal' }, spec: { ...spec.spec, strategy: { type: 'Source', sourceStrategy: { from } } } });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'spec.strategy.sourceStrategy.from.namespace' })]);
    const shared = { ...from, namespace: SHARED_PROJECT };
    const ok = await api.call('POST', `/api/v1/projects/${MALLORY}/buildconfigs`, token, { metadata: { name: 'shared' }, spec: { ...spec.spec, strategy: { type: 'Source', sourceStrategy: { from: shared } } } });
    expect(ok.status).toBe(201);
  });

  it('a cluster administrator can change it', async () => {
    const res = await api.call('POST', path('imagestreams'), api.adminToken, stream('extra'));
    expect(res.status).toBe(201);
    expect((await api.call('DELETE', path('imagestreams/extra'), api.adminToken)).status).toBeLessThan(300);
  });
});
