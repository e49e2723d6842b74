// ECR's side of the registry resync and of project deletion, over DynamoDB Local with ECR mocked
// (aws-sdk-client-mock; shapes of the ECR API Reference pages named in ecr-fake.ts), asserting the
// exact requests. The resync is the local one (shared/registry/resync.ts) reading ECR through
// EcrRegistry.listRepositories/listTags: a push whose event was lost moves its tag on the next
// pass; a tag already held, a tag rolled back on purpose, the `rc-` retention tags, the
// platform's own repositories and repositories of no project move nothing; a push recorded while
// a pass runs wins. A deleted project's finalizer deletes every repository of `berth/<project>/`
// that Berth's tags say is the project's, also those made for a push login that no stream names.
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordEcrPush } from '../../shared/aws/ecr-image-actions.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { recordImage } from '../../shared/builds/agent.ts';
import type { ImageStreamStatus } from '../../shared/model/build-kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { registryResyncDue, resyncRegistryTags } from '../../shared/registry/resync.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { FakeEcr, HOST, MANIFEST, digest, ecrClient, type FakeRepository } from './ecr-fake.ts';

const ecr = mockClient(ECRClient);
const registry = () => new EcrRegistry({ client: ecrClient(), host: HOST, prefix: 'berth' });
let api: TestApi;

const history = async (project: string, stream: string, tag: string) =>
  (await api.store.get<BerthObject<unknown, ImageStreamStatus>>({ kind: 'ImageStream', project, name: stream }))?.status.tags?.find((t) => t.tag === tag)?.items.map((i) => [i.image, i.dockerImageReference]);
const record = (project: string, stream: string, tag: string, image: string) =>
  recordImage(api.store, project, stream, tag, { created: new Date().toISOString(), dockerImageReference: `${HOST}/berth/${project}/${stream}@${image}`, image });

beforeAll(async () => {
  api = await testApi();
  for (const name of ['shop', 'shop-2', 'gone']) await api.store.create({ kind: 'Project', metadata: { name, project: '' }, spec: {} });
}, 120_000);

beforeEach(() => ecr.reset());

describe('the ECR resync', () => {
  it('moves a tag whose push event was lost, reading every page of DescribeRepositories and DescribeImages, and only Berth\'s repositories of existing projects', async () => {
    await record('shop', 'web', 'v1', digest('1'));
    await record('shop', 'web', 'latest', digest('1'));
    const repos: FakeRepository[] = [
      { name: 'berth/builder', images: [{ digest: digest('b'), tags: ['latest'] }] },
      { name: 'berth/s2i/python', images: [{ digest: digest('c'), tags: ['latest'] }] },
      { name: 'other-team/web', images: [{ digest: digest('d'), tags: ['v1'] }] },
      {
        name: 'berth/shop/web',
        images: [
          { digest: digest('1'), tags: ['v1', 'rc-web-1'] },
          { digest: digest('2'), tags: ['v2', 'latest'] },
          { digest: digest('3'), tags: ['rc-web-3'] },
          { digest: digest('4'), tags: [] },
          { digest: digest('5'), tags: ['sig'], mediaType: 'application/vnd.oci.image.config.v1+json' },
        ],
      },
      { name: 'berth/shop/login-only', images: [{ digest: digest('6'), tags: ['ci'] }] },
      { name: 'berth/nobody/web', images: [{ digest: digest('7'), tags: ['v1'] }] },
    ];
    const fake = new FakeEcr(ecr, repos);
    const moved = await resyncRegistryTags({ store: api.store, registry: registry() });
    expect(moved).toEqual([
      { project: 'shop', stream: 'web', tag: 'v2', digest: digest('2') },
      { project: 'shop', stream: 'web', tag: 'latest', digest: digest('2') },
      { project: 'shop', stream: 'login-only', tag: 'ci', digest: digest('6') },
    ]);
    expect(fake.sent).toEqual([
      { command: 'DescribeRepositories', input: { maxResults: 1000 } },
      { command: 'DescribeRepositories', input: { maxResults: 1000, nextToken: '2' } },
      { command: 'DescribeImages', input: { repositoryName: 'berth/shop/web', filter: { tagStatus: 'TAGGED' }, maxResults: 1000 } },
      { command: 'DescribeImages', input: { repositoryName: 'berth/shop/web', filter: { tagStatus: 'TAGGED' }, maxResults: 1000, nextToken: '2' } },
      { command: 'DescribeRepositories', input: { maxResults: 1000, nextToken: '4' } },
      { command: 'DescribeImages', input: { repositoryName: 'berth/shop/login-only', filter: { tagStatus: 'TAGGED' }, maxResults: 1000 } },
    ]);
    expect(await history('shop', 'web', 'v2')).toEqual([[digest('2'), `${HOST}/berth/shop/web@${digest('2')}`]]);
    expect(await history('shop', 'web', 'latest')).toEqual([[digest('2'), `${HOST}/berth/shop/web@${digest('2')}`], [digest('1'), `${HOST}/berth/shop/web@${digest('1')}`]]);
    expect(await history('shop', 'login-only', 'ci')).toEqual([[digest('6'), `${HOST}/berth/shop/login-only@${digest('6')}`]]);
    // The retention tags and the non-manifest are no stream tags; the tag already held is as it was.
    expect(await history('shop', 'web', 'rc-web-3')).toBeUndefined();
    expect(await history('shop', 'web', 'sig')).toBeUndefined();
    expect(await history('shop', 'web', 'v1')).toEqual([[digest('1'), `${HOST}/berth/shop/web@${digest('1')}`]]);
    expect(await api.store.get({ kind: 'ImageStream', project: 'nobody', name: 'web' })).toBeUndefined();
    // A second pass finds nothing behind.
    ecr.reset();
    new FakeEcr(ecr, repos);
    expect(await resyncRegistryTags({ store: api.store, registry: registry() })).toEqual([]);
  });

  it('never undoes a rollback: a tag moved back to an image it held stays there', async () => {
    await record('shop', 'api', 'prod', digest('a'));
    await record('shop', 'api', 'prod', digest('b'));
    // `berth tag` back to a: ECR's prod still names b.
    await record('shop', 'api', 'prod', digest('a'));
    new FakeEcr(ecr, [{ name: 'berth/shop/api', images: [{ digest: digest('b'), tags: ['prod'] }] }]);
    expect(await resyncRegistryTags({ store: api.store, registry: registry() })).toEqual([]);
    expect((await history('shop', 'api', 'prod'))!.map(([image]) => image)).toEqual([digest('a'), digest('b')]);
  });

  it('leaves a tag to the push event recorded while the pass was reading ECR; the next pass moves it to what ECR holds', async () => {
    await record('shop', 'jobs', 'v1', digest('a'));
    new FakeEcr(ecr, [{ name: 'berth/shop/jobs', images: [{ digest: digest('b'), tags: ['v1'] }] }]);
    const event = (image: string) => ({
      version: '0', id: 'e1d6b0b7-0f9f-4c5a-8e0a-7b1f5e2c9d30', 'detail-type': 'ECR Image Action', source: 'aws.ecr', account: '111122223333', time: '2026-12-03T11:00:00Z',
      region: 'eu-west-1', resources: [], detail: { result: 'SUCCESS', 'repository-name': 'berth/shop/jobs', 'image-digest': image, 'action-type': 'PUSH', 'image-tag': 'v1' },
    });
    const moved = await resyncRegistryTags({
      store: api.store,
      registry: registry(),
      beforeRegistryRead: async (repository) => {
        if (repository === 'berth/shop/jobs') await recordEcrPush(api.store, HOST, 'berth', event(digest('c')));
      },
    });
    expect(moved).toEqual([]);
    expect((await history('shop', 'jobs', 'v1'))!.map(([image]) => image)).toEqual([digest('c'), digest('a')]);
    expect(await resyncRegistryTags({ store: api.store, registry: registry() })).toEqual([{ project: 'shop', stream: 'jobs', tag: 'v1', digest: digest('b') }]);
  });

  it('runs in the resync function every five minutes of the schedule\'s clock', () => {
    expect(['11:40', '11:41', '11:44', '11:45', '12:00'].map((t) => registryResyncDue(`2026-12-03T${t}:00Z`, 5))).toEqual([true, false, false, true, true]);
  });

  it('a repository deleted between the listing and its images is skipped', async () => {
    const fake = new FakeEcr(ecr, [{ name: 'berth/shop/gone-soon', images: [{ digest: digest('9'), tags: ['v1'] }] }]);
    const reg = registry();
    const listed = [];
    for await (const r of reg.listRepositories()) listed.push(r);
    fake.repositories.splice(0);
    expect(await reg.listTags(listed[0]!)).toEqual([]);
  });
});

describe('a deleted project\'s repositories on ECR', () => {
  it('are deleted, force, by the project\'s finalizer: every berth/<project>/ repository Berth\'s tags say is the project\'s, never shop-2\'s nor one without Berth\'s tags', async () => {
    const fake = new FakeEcr(ecr, [
      { name: 'berth/gone/web', images: [{ digest: digest('1'), tags: ['v1'] }] },
      { name: 'berth/gone-2/web' },
      { name: 'berth/gone/login-only', images: [{ digest: digest('2'), tags: ['ci'] }] },
      { name: 'berth/gone/hand-made', tags: { team: 'ops' } },
      { name: 'berth/gone/mislabelled', tags: { 'berth:managed': 'true', 'berth:project': 'gone-2' } },
      { name: 'berth/gonezo/web' },
    ], 3);
    const ref = { kind: 'Project', project: '', name: 'gone' };
    const project = (await api.store.get(ref))!;
    await api.store.update({ ...project, metadata: { ...project.metadata, deletionTimestamp: new Date().toISOString() } });
    await projectFinalizer(api.store, { images: registry() }).reconcile(ref);
    expect(await api.store.get(ref)).toBeUndefined();
    expect(fake.sent).toEqual([
      { command: 'DescribeRepositories', input: { maxResults: 1000 } },
      { command: 'DescribeRepositories', input: { maxResults: 1000, nextToken: '3' } },
      ...['web', 'login-only', 'hand-made', 'mislabelled'].flatMap((s) => [
        { command: 'ListTagsForResource', input: { resourceArn: `arn:aws:ecr:eu-west-1:111122223333:repository/berth/gone/${s}` } },
        ...(['web', 'login-only'].includes(s) ? [{ command: 'DeleteRepository', input: { repositoryName: `berth/gone/${s}`, force: true } }] : []),
      ]),
    ]);
    expect(fake.names()).toEqual(['berth/gone-2/web', 'berth/gone/hand-made', 'berth/gone/mislabelled', 'berth/gonezo/web']);
  });
});
