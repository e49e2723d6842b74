// Attack: the count `berth rollout status` prints ("X of Y updated replicas") now comes from the
// revision's status.desiredReplicas, which only the rollout writes. A stranger cannot read it or
// change it on the victim's revision, and the project's own admin cannot set it either (status is
// the controllers'): the status route is refused, and revisions have no replace route.
import { beforeAll, expect, it } from 'vitest';
import { DC_LABEL } from '../../shared/model/deploy-kinds.ts';
import type { ReplicationController } from '../../shared/model/objects.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

let api: TestApi;
let owner: string;
let stranger: string;
const P = 'shop';
const rcPath = `/api/v1/projects/${P}/replicationcontrollers/web-1`;
const rcRef = { kind: 'ReplicationController', project: P, name: 'web-1' };

beforeAll(async () => {
  api = await testApi();
  owner = await api.user('owner');
  stranger = await api.user('stranger');
  expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: P } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'lab' } })).status).toBe(201);
  const dc = { metadata: { name: 'web' }, spec: { replicas: 3, selector: { [DC_LABEL]: 'web' }, template: { metadata: { labels: { [DC_LABEL]: 'web' } }, spec: { containers: [{ name: 'web', image: 'r/web@sha256:1' }] } } } };
  expect((await api.call('POST', `/api/v1/projects/${P}/deploymentconfigs`, owner, dc)).status).toBe(201);
  expect((await api.call('POST', `/api/v1/projects/${P}/deploymentconfigs/web/instantiate`, owner, {})).status).toBe(201);
  // What the rollout writes on its revision.
  await patchStatus<ReplicationController>(api.store, rcRef, (rc) => ({ ...rc.status, phase: 'Running', desiredReplicas: 3 }));
});

const forged = (rv: string) => ({ metadata: { resourceVersion: rv }, status: { phase: 'Running', desiredReplicas: 0 } });

it("a stranger can neither read the victim's revision nor write its status", async () => {
  const rv = (await api.store.get<ReplicationController>(rcRef))!.metadata.resourceVersion;
  const before = await snapshot(api);

  expect((await api.call('GET', rcPath, stranger)).status).toBe(403);
  expect((await api.call('PUT', `${rcPath}/status`, stranger, forged(rv))).status).toBe(403);

  expect(await snapshot(api)).toEqual(before);
});

it("the project's own admin cannot write the count through the status route", async () => {
  const rv = (await api.store.get<ReplicationController>(rcRef))!.metadata.resourceVersion;
  const before = await snapshot(api);

  expect((await api.call('PUT', `${rcPath}/status`, owner, forged(rv))).status).toBe(403);

  expect(await snapshot(api)).toEqual(before);
});

it("the project's own admin cannot replace the revision either (revisions are the rollout's to write): no such route, nothing written", async () => {
  const stored = (await api.call('GET', rcPath, owner)).body;
  expect(stored.status.desiredReplicas).toBe(3);
  const before = await snapshot(api);

  const r = await api.call('PUT', rcPath, owner, { metadata: stored.metadata, spec: stored.spec, status: { ...stored.status, desiredReplicas: 0 } });

  expect(r.status).toBe(404);
  expect(await snapshot(api)).toEqual(before);
});
