// ReplicationControllers keep their images in ECR: a new RC's images in the project's own
// repositories get the tag rc-<name> (so that the lifecycle policy, which expires only untagged
// images, never takes an image a rollback needs), once; a deleted RC's tag is taken back from
// each of the project's repositories. The table is DynamoDB Local; ECR is aws-sdk-client-mock
// with the documented shapes (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html,
// API_PutImage.html, API_BatchDeleteImage.html).
import { BatchDeleteImageCommand, BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { RETAINED_ANNOTATION, imageRetention, projectImages } from '../../shared/images/retention.ts';
import { newRevision } from '../../shared/deploy/rollout-template.ts';
import type { DeploymentConfig, ReplicationController } from '../../shared/model/objects.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const P = 'shop';
const DIGEST = `sha256:${'cd'.repeat(32)}`;
const MANIFEST = '{"schemaVersion":2}';
const MEDIA = 'application/vnd.docker.distribution.manifest.v2+json';
const ecr = mockClient(ECRClient);
const registry = new EcrRegistry({ client: new ECRClient({ region: 'eu-west-1' }), host: HOST });
let t: TestTable;
const inputs = (command: Parameters<typeof ecr.commandCalls>[0]) => ecr.commandCalls(command).map((c) => c.args[0].input);

const dc = (image: string): DeploymentConfig =>
  ({
    kind: 'DeploymentConfig',
    metadata: { name: 'web', project: P, labels: {}, annotations: {} },
    spec: {
      replicas: 1, selector: { app: 'web' }, triggers: [], revisionHistoryLimit: 10,
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }, { name: 'proxy', image: 'docker.io/library/nginx:1' }] } },
    },
  }) as never;

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await t.store.create({ kind: 'ImageStream', metadata: { name: 'web', project: P }, spec: { tags: [] } });
  await t.store.create({ kind: 'ImageStream', metadata: { name: 'worker', project: P }, spec: { tags: [] } });
});

beforeEach(() => ecr.reset());

describe('projectImages', () => {
  it('finds the project\'s own images by digest, and no image by tag, of another project or registry', () => {
    const repo = (s: string) => `${HOST}/berth/shop/${s}`;
    expect(projectImages([`${repo('web')}@${DIGEST}`, `${repo('web')}:latest`, `${HOST}/berth/other/web@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`, `${HOST}/berth/shop/a/b@${DIGEST}`], repo)).toEqual([
      { stream: 'web', digest: DIGEST },
    ]);
  });
});

describe('imageRetention', () => {
  it('a new RC\'s image is tagged rc-<name> once, and the RC marked', async () => {
    const r = imageRetention(t.store, registry);
    const rc = (await t.store.create(newRevision(dc(`${HOST}/berth/shop/web@${DIGEST}`), 3, 'ConfigChange'))) as ReplicationController;
    ecr.on(BatchGetImageCommand).resolves({ images: [{ imageId: { imageDigest: DIGEST }, imageManifest: MANIFEST, imageManifestMediaType: MEDIA }], failures: [] });
    ecr.on(PutImageCommand).resolves({ image: { imageId: { imageDigest: DIGEST, imageTag: 'rc-web-3' } } });
    await r.reconcile({ kind: 'ReplicationController', project: P, name: rc.metadata.name });
    expect(inputs(PutImageCommand)).toEqual([{ repositoryName: 'berth/shop/web', imageManifest: MANIFEST, imageManifestMediaType: MEDIA, imageTag: 'rc-web-3', imageDigest: DIGEST }]);
    const stored = await t.store.get<ReplicationController>({ kind: 'ReplicationController', project: P, name: 'web-3' });
    expect(stored!.metadata.annotations[RETAINED_ANNOTATION]).toBe('rc-web-3');
    // Later changes to the RC (scaling, status) make no more ECR calls; the resync skips it.
    await r.reconcile({ kind: 'ReplicationController', project: P, name: 'web-3' });
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(1);
    const resynced = [];
    for await (const ref of r.resync!()) resynced.push(ref.name);
    expect(resynced).not.toContain('web-3');
  });

  it('a deleted RC\'s tag is taken back from each of the project\'s repositories', async () => {
    await t.store.delete({ kind: 'ReplicationController', project: P, name: 'web-3' });
    ecr.on(DescribeRepositoriesCommand).callsFake((input: { repositoryNames: string[] }) => ({ repositories: [{ repositoryName: input.repositoryNames[0], repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${input.repositoryNames[0]}` }] }));
    ecr.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: P }] });
    ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [{ imageDigest: DIGEST, imageTag: 'rc-web-3' }], failures: [] });
    await imageRetention(t.store, registry).reconcile({ kind: 'ReplicationController', project: P, name: 'web-3' });
    expect(inputs(BatchDeleteImageCommand)).toEqual([
      { repositoryName: 'berth/shop/web', imageIds: [{ imageTag: 'rc-web-3' }] },
      { repositoryName: 'berth/shop/worker', imageIds: [{ imageTag: 'rc-web-3' }] },
    ]);
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(0);
  });
});
