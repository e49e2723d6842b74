// The registry's push notifications against the real table: tagged manifest pushes to a project's
// repository move the stream tag once; blob pushes, pulls, untagged pushes, repositories that are
// no project's (the platform's builder images) or not `<project>/<name>` move nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { recordPushes } from '../../shared/registry/events.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const push = (repository: string, tag: string | undefined, d = digest('a'), mediaType = MANIFEST, action = 'push') => ({ action, target: { mediaType, digest: d, repository, ...(tag ? { tag } : {}) } });
let t: TestTable;

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
});

describe('recordPushes', () => {
  it('a tagged manifest push makes the stream and moves its tag; the same push again changes nothing', async () => {
    expect(await recordPushes(t.store, '127.0.0.1:7500', { events: [push('demo/web', 'v1')] })).toEqual([{ project: 'demo', stream: 'web', tag: 'v1', digest: digest('a') }]);
    const is = await t.store.get<any>({ kind: 'ImageStream', project: 'demo', name: 'web' });
    expect(is.status.tags).toEqual([{ tag: 'v1', items: [expect.objectContaining({ image: digest('a'), dockerImageReference: `127.0.0.1:7500/demo/web@${digest('a')}` })] }]);
    expect(await recordPushes(t.store, '127.0.0.1:7500', { events: [push('demo/web', 'v1')] })).toEqual([]);
    expect((await t.store.get<any>({ kind: 'ImageStream', project: 'demo', name: 'web' })).metadata.resourceVersion).toBe(is.metadata.resourceVersion);
  });

  it.each([
    ['a blob push', push('demo/blob', 'v1', digest('b'), 'application/octet-stream')],
    ['a pull', push('demo/pulled', 'v1', digest('b'), MANIFEST, 'pull')],
    ['an untagged push', push('demo/untagged', undefined)],
    ["the platform's builder images", push('berth/python', '3.11')],
    ['a project that does not exist', push('ghost/web', 'v1')],
    ['three path components', push('demo/a/b', 'v1')],
    ['a malformed digest', push('demo/bad', 'v1', 'sha256:zz')],
  ])('%s moves nothing', async (_what, event) => {
    expect(await recordPushes(t.store, '127.0.0.1:7500', { events: [event] })).toEqual([]);
    const name = event.target.repository.split('/')[1]!;
    expect(await t.store.get({ kind: 'ImageStream', project: event.target.repository.split('/')[0]!, name })).toBeUndefined();
  });
});
