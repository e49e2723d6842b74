// UID blocks: every project created through the API owns a block no other project holds, even
// when two names prefer the same block; the pods' UID comes from the project's annotation.
import { beforeAll, describe, expect, it } from 'vitest';
import { projectUid, UID_BASE, UID_BLOCK } from '../../shared/fleet/pod-container.ts';
import { createProjectWithUidRange, UID_RANGE_ANNOTATION, uidOfProject } from '../../shared/project/uid-blocks.ts';
import { testApi, type TestApi } from '../support/api.ts';

let t: TestApi;
const project = (name: string) => ({ kind: 'Project', metadata: { name, project: '' }, spec: {}, status: { phase: 'Active' } });

beforeAll(async () => {
  t = await testApi();
});

describe('UID blocks', () => {
  it('a project made through the API carries its block, and its pods run as the block\'s first UID', async () => {
    const res = await t.call('POST', '/api/v1/projects', t.adminToken, { metadata: { name: 'shop' } });
    expect(res.status).toBe(201);
    const range = res.body.metadata.annotations[UID_RANGE_ANNOTATION];
    expect(range).toBe(`${projectUid('shop')}/${UID_BLOCK}`);
    expect(uidOfProject(res.body)).toBe(projectUid('shop'));
    const claim = await t.store.get({ kind: 'UidBlock', project: '', name: `block-${(projectUid('shop') - UID_BASE) / UID_BLOCK}` });
    expect(claim?.spec).toEqual({ project: 'shop' });
  });

  it('a second project whose name prefers a taken block gets the next free one', async () => {
    // Take the block "web" prefers and the one after it, as other projects would have.
    const n = (projectUid('web') - UID_BASE) / UID_BLOCK;
    await t.store.createMany([{ kind: 'UidBlock', metadata: { name: `block-${n}`, project: '' }, spec: { project: 'someone' } }, { kind: 'UidBlock', metadata: { name: `block-${(n + 1) % 100_000}`, project: '' }, spec: { project: 'else' } }]);
    const [web] = await createProjectWithUidRange(t.store, project('web'), []);
    expect(uidOfProject(web!)).toBe(UID_BASE + ((n + 2) % 100_000) * UID_BLOCK);
  });

  it('projects created at once never share a block, even two whose names prefer the same one', async () => {
    // Two names hashing to the same block (the birthday bound finds a pair within a few thousand).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const name = `c${i}`;
      const other = seen.get(projectUid(name));
      if (other) pair = [other, name];
      else seen.set(projectUid(name), name);
    }
    expect(projectUid(pair[0])).toBe(projectUid(pair[1]));
    const names = [...pair, ...Array.from({ length: 10 }, (_, i) => `p${i}`)];
    const made = await Promise.all(names.map((name) => createProjectWithUidRange(t.store, project(name), []).then(([p]) => p!)));
    const uids = made.map(uidOfProject);
    expect(new Set(uids).size).toBe(names.length);
  });

  it('a project name that is taken is refused as before, and claims no block', async () => {
    await expect(createProjectWithUidRange(t.store, project('shop'), [])).rejects.toThrow('Project "shop" already exists');
    const claims = (await t.store.list('UidBlock', '')).items.filter((c) => (c.spec as { project: string }).project === 'shop');
    expect(claims).toHaveLength(1);
  });

  it('a project made before blocks existed keeps the UID its name gives', () => {
    expect(uidOfProject({ metadata: { name: 'old', annotations: {} } } as never)).toBe(projectUid('old'));
  });
});
