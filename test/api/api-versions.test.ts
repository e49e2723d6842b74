// Manifests written for OpenShift or Kubernetes: each kind is accepted under its OpenShift,
// Kubernetes, legacy `v1` and Berth group, and the answer carries the apiVersion given; another
// kind's group is a 422 naming apiVersion that writes nothing; a spec left out gets the kind's
// defaults (an ImageStream needs none), while what a kind requires is still required.
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let token: string;
const P = 'manifests';
const at = (plural: string) => `/api/v1/projects/${P}/${plural}`;

const dc = { replicas: 1, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } } };
const route = { to: { kind: 'Service', name: 'web' } };
const bc = { source: { git: { uri: 'https://git.example/app.git' } }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'python:3.11' } } }, output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } } };

beforeAll(async () => {
  api = await testApi();
  token = await api.user('dev');
  expect((await api.call('POST', '/api/v1/projects', token, { apiVersion: 'project.openshift.io/v1', kind: 'Project', metadata: { name: P } })).status).toBe(201);
});

describe('apiVersion', () => {
  it.each([
    ['imagestreams', 'ImageStream', 'image.openshift.io/v1', {}],
    ['imagestreams', 'ImageStream', 'v1', {}],
    ['imagestreams', 'ImageStream', 'image.berth.io/v1', {}],
    ['deploymentconfigs', 'DeploymentConfig', 'apps.openshift.io/v1', dc],
    ['buildconfigs', 'BuildConfig', 'build.openshift.io/v1', bc],
    ['routes', 'Route', 'route.openshift.io/v1', route],
    ['services', 'Service', 'v1', { selector: { app: 'web' }, ports: [{ port: 8080 }] }],
    ['configmaps', 'ConfigMap', 'v1', { data: { a: 'b' } }],
    ['rolebindings', 'RoleBinding', 'rbac.authorization.k8s.io/v1', { role: 'view', subjects: [] }],
    ['rolebindings', 'RoleBinding', 'authorization.openshift.io/v1', { role: 'view', subjects: [] }],
  ])('a %s manifest (%s, %s) is accepted and answered with its apiVersion', async (plural, kind, apiVersion, spec) => {
    const name = `${kind.toLowerCase()}-${apiVersion.replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
    const res = await api.call('POST', at(plural), token, { apiVersion, kind, metadata: { name }, spec });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ apiVersion, kind, metadata: { name } });
    // Read back, it says Berth's own version of the kind; that version is accepted on a PUT.
    const read = await api.call('GET', `${at(plural)}/${name}`, token);
    expect(read.body.apiVersion).toMatch(/^(v1|[a-z]+\.berth\.io\/v1)$/);
    const put = await api.call('PUT', `${at(plural)}/${name}`, token, read.body);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.apiVersion).toBe(read.body.apiVersion);
  });

  it.each([
    ['routes', 'Route', 'apps.openshift.io/v1', route],
    ['deploymentconfigs', 'DeploymentConfig', 'route.openshift.io/v1', dc],
    ['imagestreams', 'ImageStream', 'apps/v1', {}],
    ['configmaps', 'ConfigMap', 'build.openshift.io/v1', {}],
    ['imagestreams', 'ImageStream', 'image.openshift.io/v2', {}],
  ])('%s under %s\'s wrong group %s is a 422 naming apiVersion, nothing written', async (plural, kind, apiVersion, spec) => {
    const before = await snapshot(api);
    const res = await api.call('POST', at(plural), token, { apiVersion, kind, metadata: { name: 'wrong' }, spec });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['apiVersion']);
    expect(res.body.message).toContain(`${kind} is not served as "${apiVersion}"`);
    expect(await snapshot(api)).toEqual(before);
  });

  it('lists carry the kind\'s apiVersion, on the list and on each item', async () => {
    const res = await api.call('GET', at('imagestreams'), token);
    expect(res.body.apiVersion).toBe('image.berth.io/v1');
    expect(res.body.items.length).toBeGreaterThan(0);
    for (const item of res.body.items) expect(item.apiVersion).toBe('image.berth.io/v1');
  });
});

describe('a spec left out', () => {
  it('an ImageStream without spec gets the empty one', async () => {
    const res = await api.call('POST', at('imagestreams'), token, { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'bare' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.spec).toEqual({ tags: [] });
  });

  it('a ConfigMap without spec is empty', async () => {
    const res = await api.call('POST', at('configmaps'), token, { metadata: { name: 'bare' } });
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ data: {} });
  });

  it('a Route without spec is still a 422 naming what it needs', async () => {
    const res = await api.call('POST', at('routes'), token, { apiVersion: 'route.openshift.io/v1', kind: 'Route', metadata: { name: 'bare' } });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain('spec.to');
  });
});
