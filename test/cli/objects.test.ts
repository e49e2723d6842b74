// get, describe, delete over project-scoped and cluster-scoped kinds.
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
const now = () => new Date().toISOString();

beforeAll(async () => {
  h = await startCli();
  await h.login('admin');
  await h.berth(['new-project', 'demo']);
  for (const [name, labels, data] of [
    ['web', { tier: 'front' }, { colour: 'blue', size: 'l' }],
    ['api', { tier: 'back' }, { port: '8080' }],
    ['db', { tier: 'back' }, {}],
  ] as const) {
    await h.api.call('POST', '/api/v1/projects/demo/configmaps', h.api.adminToken, { metadata: { name, labels }, spec: { data } });
  }
  const event = (name: string, objectName: string, reason: string, message: string) =>
    h.api.store.create({
      kind: 'Event',
      metadata: { name, project: 'demo' },
      spec: { involvedObject: { kind: 'ConfigMap', name: objectName }, type: 'Normal', reason, message, count: 1, firstTimestamp: now(), lastTimestamp: now() },
    });
  await event('web-1', 'web', 'Updated', 'colour changed to blue');
  await event('api-1', 'api', 'Created', 'made by hand');
});
afterAll(() => h.close());

describe('berth get', () => {
  it('prints a table of NAME, the kind\'s columns and AGE', async () => {
    const r = await h.berth(['get', 'configmaps']);

    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['api', '1'],
      ['db', '0'],
      ['web', '2'],
    ]);
  });

  it('-o json prints a list object with every item, following continue across pages', async () => {
    const r = await h.berth(['get', 'cm', '-o', 'json', '--chunk-size', '1']);

    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe('ConfigMapList');
    expect(list.metadata).toEqual({});
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['api', 'db', 'web']);
    expect(list.items[2].spec.data).toEqual({ colour: 'blue', size: 'l' });
  });

  it('-o yaml of one object prints the object as stored', async () => {
    const r = await h.berth(['get', 'configmap', 'web', '-o', 'yaml']);

    const stored = (await h.api.call('GET', '/api/v1/projects/demo/configmaps/web', h.api.adminToken)).body;
    expect(parse(r.stdout)).toEqual(stored);
  });

  it('-l selects by label', async () => {
    const r = await h.berth(['get', 'cm', '-l', 'tier=back', '-o', 'json']);

    expect(JSON.parse(r.stdout).items.map((i: any) => i.metadata.name)).toEqual(['api', 'db']);
  });

  it('says so on stderr when nothing matches', async () => {
    const r = await h.berth(['get', 'cm', '-l', 'tier=none']);

    expect(r).toEqual({ code: 0, stdout: '', stderr: 'No configmaps found in project "demo".\n' });
  });

  it.each([
    ['rolebindings', /^NAME\s+ROLE\s+USERS\s+GROUPS\s+AGE\nadmin\s+admin\s+admin\s+<none>\s+\d+s\n$/],
    ['events', /^NAME\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\s+AGE\napi-1\s+Normal\s+Created\s+configmap\/api\s+made by hand\s+\d+s\nweb-1/],
    ['projects', /^NAME\s+DISPLAY NAME\s+STATUS\s+AGE\ndemo\s+<none>\s+Active\s+\d+s\n$/],
    ['users', /^NAME\s+FULL NAME\s+AGE\nadmin\s+Cluster administrator\s+\d+s\n$/],
  ])('get %s prints its own columns', async (kind, table) => {
    const r = await h.berth(['get', kind]);

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(table);
  });

  it('names an unknown kind and lists the known ones', async () => {
    const r = await h.berth(['get', 'widgets']);

    expect(r.code).toBe(1);
    const [error, hint, ...rest] = r.stderr.split('\n');
    expect(error).toBe('error: unknown kind "widgets"');
    expect(hint).toMatch(/^hint: known kinds: .*configmaps \(cm\).*rolebindings.*users/);
    expect(rest).toEqual(['']);
  });
});

describe('berth describe', () => {
  it('shows metadata, labels, spec and only the events about that object', async () => {
    const r = await h.berth(['describe', 'cm', 'web']);

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+web\nProject:\s+demo\nKind:\s+ConfigMap\nLabels:\s+tier=front\n/);
    expect(r.stdout).toContain('Spec:\n  data:\n    colour: blue\n    size: l\n');
    expect(r.stdout).toMatch(/Events:\n\s+TYPE\s+REASON\s+AGE\s+COUNT\s+MESSAGE\n\s+Normal\s+Updated\s+\d+s\s+1\s+colour changed to blue\n$/);
    expect(r.stdout).not.toContain('made by hand');
  });

  it('says <none> when there are no events', async () => {
    expect((await h.berth(['describe', 'cm', 'db'])).stdout).toMatch(/\nEvents:\s+<none>\n$/);
  });

  it('a missing object is one line with a hint to list what exists', async () => {
    const r = await h.berth(['describe', 'cm', 'nope']);

    expect(r).toEqual({ code: 1, stdout: '', stderr: 'error: ConfigMap "nope" not found\nhint: list them with `berth get configmaps -n demo`\n' });
  });
});

describe('berth delete', () => {
  it('deletes the named objects, after which get cannot find them', async () => {
    await h.api.call('POST', '/api/v1/projects/demo/configmaps', h.api.adminToken, { metadata: { name: 'tmp-1' }, spec: { data: {} } });
    await h.api.call('POST', '/api/v1/projects/demo/configmaps', h.api.adminToken, { metadata: { name: 'tmp-2' }, spec: { data: {} } });

    const r = await h.berth(['delete', 'cm', 'tmp-1', 'tmp-2']);

    expect(r).toEqual({ code: 0, stdout: 'configmap "tmp-1" deleted\nconfigmap "tmp-2" deleted\n', stderr: '' });
    expect((await h.api.call('GET', '/api/v1/projects/demo/configmaps/tmp-1', h.api.adminToken)).status).toBe(404);
    expect((await h.berth(['get', 'cm', 'tmp-2'])).code).toBe(1);
  });

  it('deleting a project marks it Terminating', async () => {
    await h.berth(['new-project', 'doomed']);

    const r = await h.berth(['delete', 'project', 'doomed']);

    expect(r.stdout).toBe('project "doomed" is being deleted: it stays Terminating until its contents are gone\n');
    expect((await h.api.call('GET', '/api/v1/projects/doomed', h.api.adminToken)).body.status.phase).toBe('Terminating');
  });

  it('refuses to delete what cannot be deleted through the API', async () => {
    const r = await h.berth(['delete', 'events', 'web-1', '-n', 'demo']);

    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: events cannot be deleted through the API\nhint: the platform's controllers write them; users only read them\n");
    expect((await h.api.call('GET', '/api/v1/projects/demo/events/web-1', h.api.adminToken)).status).toBe(200);
  });
});

describe('KIND/NAME and get all', () => {
  it.each([
    [['get', 'cm/web', '-n', 'demo']],
    [['get', 'configmap/web', '-o', 'yaml', '-n', 'demo']],
    [['describe', 'cm/web', '-n', 'demo']],
  ])('berth %j takes KIND/NAME as KIND NAME', async (argv) => {
    const slashed = await h.berth(argv);
    const spaced = await h.berth(argv.flatMap((a) => (a.includes('/') ? a.split('/') : [a])));
    expect(slashed.code, slashed.stderr).toBe(0);
    expect(slashed.stdout.replace(/\d+[smhd] ago|\b\d+[smhd]\b/g, '')).toBe(spaced.stdout.replace(/\d+[smhd] ago|\b\d+[smhd]\b/g, ''));
  });

  it('get takes several KIND/NAME of several kinds, each named kind/name', async () => {
    const r = await h.berth(['get', 'cm/web', 'cm/api', 'rolebinding/admin', '-n', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.split('\n').filter((l) => l && !l.startsWith('NAME')).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(['configmap/web', 'configmap/api', 'rolebinding/admin']);
  });

  it('delete takes KIND/NAME', async () => {
    await h.api.call('POST', '/api/v1/projects/demo/configmaps', h.api.adminToken, { metadata: { name: 'gone' }, spec: { data: {} } });
    const r = await h.berth(['delete', 'cm/gone', '-n', 'demo']);
    expect(r).toMatchObject({ code: 0, stdout: 'configmap "gone" deleted\n' });
    expect((await h.api.call('GET', '/api/v1/projects/demo/configmaps/gone', h.api.adminToken)).status).toBe(404);
  });

  it('get all lists the application kinds that have objects, each named kind/name', async () => {
    await h.api.call('POST', '/api/v1/projects/demo/services', h.api.adminToken, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } });
    await h.api.call('POST', '/api/v1/projects/demo/imagestreams', h.api.adminToken, { metadata: { name: 'web' } });
    const r = await h.berth(['get', 'all', '-n', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.split('\n').filter((l) => l && !l.startsWith('NAME')).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(['service/web', 'imagestream/web']);
    expect(r.stdout).not.toContain('configmap/');
    const json = JSON.parse((await h.berth(['get', 'all', '-o', 'json', '-n', 'demo'])).stdout);
    expect(json.kind).toBe('List');
    expect(json.items.map((o: { kind: string }) => o.kind)).toEqual(['Service', 'ImageStream']);
  });

  it('get all in an empty project says so', async () => {
    await h.berth(['new-project', 'empty']);
    const r = await h.berth(['get', 'all', '-n', 'empty']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in project "empty".\n' });
  });

  it.each([
    [['get', 'cm', 'web/x', '-n', 'demo'], 'error: "web/x": give either KIND NAME... or KIND/NAME..., not both'],
    [['get', 'nope/web', '-n', 'demo'], 'error: unknown kind "nope"'],
    [['get', 'cm/', '-n', 'demo'], 'error: "cm/" is not KIND/NAME'],
    [['delete', 'cm', '-n', 'demo'], 'error: name what to delete'],
  ])('berth %j is refused: %s', async (argv, message) => {
    const r = await h.berth(argv);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });
});
