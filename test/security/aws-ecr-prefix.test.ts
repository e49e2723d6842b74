// Attack, on AWS: a stranger who signed up a minute ago names their project after the victim's
// as a prefix (`shop-2` beside `shop`; ECR repositories `berth/shop-2/…` beside `berth/shop/…`),
// pushes while the push events are lost, labels a repository of their own namespace as the
// victim's, and deletes their project through the API, hoping the registry resync moves the
// victim's tags or the project deletion takes the victim's repositories. Neither happens: the
// resync moves a tag only in the project a repository's name says, the deletion lists by the
// prefix `berth/<project>/` (the `/` included) and deletes only what Berth's tags say is that
// project's, and the stranger cannot delete the victim's project at all.
// ECR is mocked (aws-sdk-client-mock) with the shapes of the ECR API Reference pages named in
// test/aws/ecr-fake.ts; the API and the store are the real ones over DynamoDB Local.
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { recordImage } from '../../shared/builds/agent.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { resyncRegistryTags } from '../../shared/registry/resync.ts';
import { FakeEcr, HOST, digest, ecrClient } from '../aws/ecr-fake.ts';
import { testApi, type TestApi } from '../support/api.ts';

const ecr = mockClient(ECRClient);
const registry = () => new EcrRegistry({ client: ecrClient(), host: HOST, prefix: 'berth' });
let api: TestApi;
let victim = '';
let stranger = '';
const headOf = async (project: string, stream: string, tag: string) =>
  (await api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project, name: stream }))?.status.tags?.find((t) => t.tag === tag)?.items[0]?.image;

beforeAll(async () => {
  api = await testApi();
  victim = await api.user('victor');
  stranger = await api.user('mallory');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'shop' }, spec: {} })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'shop-2' }, spec: {} })).status).toBe(201);
  await recordImage(api.store, 'shop', 'web', 'v1', { created: new Date().toISOString(), dockerImageReference: `${HOST}/berth/shop/web@${digest('a')}`, image: digest('a') });
}, 120_000);

const repositories = () => [
  { name: 'berth/shop/web', images: [{ digest: digest('a'), tags: ['v1'] }] },
  { name: 'berth/shop/worker', images: [{ digest: digest('b'), tags: ['v1'] }] },
  // The stranger's pushes (their events lost), under the victim's stream and tag names.
  { name: 'berth/shop-2/web', images: [{ digest: digest('e'), tags: ['v1', 'latest'] }] },
  // A repository of the stranger's namespace whose tags name the victim's project.
  { name: 'berth/shop-2/decoy', tags: { 'berth:managed': 'true', 'berth:project': 'shop' }, images: [{ digest: digest('f'), tags: ['v1'] }] },
];

describe('a project named as another\'s prefix (shop-2 beside shop)', () => {
  it('the resync moves the stranger\'s lost pushes into the stranger\'s streams only; the victim\'s tags stay', async () => {
    ecr.reset();
    new FakeEcr(ecr, repositories());
    const moved = await resyncRegistryTags({ store: api.store, registry: registry() });
    expect(moved.filter((m) => m.project !== 'shop-2')).toEqual([{ project: 'shop', stream: 'worker', tag: 'v1', digest: digest('b') }]);
    expect(await headOf('shop', 'web', 'v1')).toBe(digest('a'));
    expect(await headOf('shop-2', 'web', 'v1')).toBe(digest('e'));
    expect(await api.store.get({ kind: 'ImageStream', project: 'shop', name: 'decoy' })).toBeUndefined();
  });

  it('the stranger cannot delete the victim\'s project', async () => {
    expect([403, 404]).toContain((await api.call('DELETE', '/api/v1/projects/shop', stranger)).status);
    expect((await api.store.get({ kind: 'Project', project: '', name: 'shop' }))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('deleting the stranger\'s project takes only berth/shop-2/ repositories that are shop-2\'s: never the victim\'s, not even the one labelled as the victim\'s', async () => {
    ecr.reset();
    const fake = new FakeEcr(ecr, repositories());
    expect((await api.call('DELETE', '/api/v1/projects/shop-2', stranger)).status).toBe(202);
    const ref = { kind: 'Project', project: '', name: 'shop-2' };
    const finalizer = projectFinalizer(api.store, { images: registry() });
    for (let i = 0; i < 5 && (await api.store.get(ref)); i++) await finalizer.reconcile(ref);
    expect(await api.store.get(ref)).toBeUndefined();
    expect(fake.names()).toEqual(['berth/shop/web', 'berth/shop/worker', 'berth/shop-2/decoy']);
    const touched = fake.sent.filter((c) => c.command !== 'DescribeRepositories').map((c) => String(c.input.repositoryName ?? c.input.resourceArn));
    expect(touched.filter((t) => /berth\/shop\//.test(t))).toEqual([]);
    expect(fake.sent.filter((c) => c.command === 'DeleteRepository').map((c) => c.input.repositoryName)).toEqual(['berth/shop-2/web']);
    // The victim's project, its streams and tags are as they were.
    expect(await api.store.get({ kind: 'Project', project: '', name: 'shop' })).toBeDefined();
    expect(await headOf('shop', 'web', 'v1')).toBe(digest('a'));
  });
});
