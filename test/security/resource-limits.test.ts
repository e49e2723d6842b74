// Attack: a stranger's pod books almost nothing with the scheduler (requests 1m CPU, 1 byte)
// while its container may use a whole machine (limits 64 CPUs, 1 TiB), starving every other
// tenant on its host. Limits are bounded by the platform's container maximum, at least the
// requests and at most MAX_LIMIT_REQUEST_RATIO times them: 422 naming the field on create and
// update, nothing written; and what the scheduler books and the engine enforces follow the same
// bounds even for a spec that reached the store another way.
import { beforeAll, describe, expect, it } from 'vitest';
import { podLimits, podRequest } from '../../shared/model/pods.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { CONTAINER_MAX_BYTES, CONTAINER_MAX_MILLI } from '../../shared/model/resource-bounds.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let stranger: string;
const base = '/api/v1/projects/evil/deploymentconfigs';

const dc = (name: string, resources?: unknown) => ({
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { deploymentconfig: name },
    template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name: 'hog', image: 'registry.local/hog@sha256:1', ...(resources ? { resources } : {}) }] } },
    triggers: [],
  },
});
const field = (tail: string) => `spec.template.spec.containers.0.resources.${tail}`;

beforeAll(async () => {
  api = await testApi();
  stranger = await api.user('stranger');
  const victim = await api.user('victim');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'evil' } })).status).toBe(201);
});

describe('requests versus limits', () => {
  it.each([
    ['book 1m and 1 byte, use 64 CPUs and 1 TiB', { requests: { cpu: '1m', memory: '1' }, limits: { cpu: '64', memory: '1Ti' } }, ['limits.cpu', 'requests.memory', 'limits.memory']],
    ['limits over the container maximum', { limits: { cpu: '17', memory: '65Gi' } }, ['limits.cpu', 'limits.memory']],
    ['requests over the container maximum', { requests: { cpu: '64', memory: '1Ti' } }, ['requests.cpu', 'requests.memory']],
    ['limits under the requests', { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1', memory: '512Mi' } }, ['limits.cpu', 'limits.memory']],
    ['limits far above the requests', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '4', memory: '8Gi' } }, ['limits.cpu', 'limits.memory']],
  ])('%s: 422 naming each field, nothing written', async (_, resources, fields) => {
    const before = await snapshot(api);
    const res = await api.call('POST', base, stranger, dc('hog', resources));
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(fields.map(field).sort());
    expect(await snapshot(api)).toEqual(before);
  });

  it('the same on update: a modest DC cannot be turned into a hog', async () => {
    const made = await api.call('POST', base, stranger, dc('web', { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } }));
    expect(made.status).toBe(201);
    const hog = dc('web', { requests: { cpu: '1m', memory: '64Mi' }, limits: { cpu: '64', memory: '256Mi' } });
    const before = await snapshot(api);
    const res = await api.call('PUT', `${base}/web`, stranger, { ...hog, metadata: made.body.metadata });
    expect(res.status).toBe(422);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field('limits.cpu')]);
    expect(await snapshot(api)).toEqual(before);
  });

  it('a limit alone makes the request equal to it; neither gets the defaults for both', async () => {
    const res = await api.call('POST', base, stranger, dc('fair', { limits: { cpu: '2', memory: '1Gi' } }));
    expect(res.status).toBe(201);
    const pod = { spec: res.body.spec.template.spec } as Pod;
    expect(podRequest(pod)).toEqual(podLimits(pod));
    expect(podRequest(pod)).toEqual({ cpuMilli: 2000, memoryBytes: 2 ** 30 });
    const bare = await api.call('POST', base, stranger, dc('bare'));
    const plain = { spec: bare.body.spec.template.spec } as Pod;
    expect(podRequest(plain)).toEqual({ cpuMilli: 100, memoryBytes: 256 * 2 ** 20 });
    expect(podLimits(plain)).toEqual(podRequest(plain));
  });

  it('a hog that reached the store around the API is booked for a tenth of its limit and held to the maximum', () => {
    const hog = { spec: { containers: [{ name: 'hog', image: 'x', env: [], ports: [], resources: { requests: { cpu: '1m', memory: '1' }, limits: { cpu: '64', memory: '1Ti' } } }] } } as unknown as Pod;
    expect(podLimits(hog)).toEqual({ cpuMilli: CONTAINER_MAX_MILLI, memoryBytes: CONTAINER_MAX_BYTES });
    expect(podRequest(hog)).toEqual({ cpuMilli: CONTAINER_MAX_MILLI / 10, memoryBytes: Math.ceil(CONTAINER_MAX_BYTES / 10) });
  });
});
