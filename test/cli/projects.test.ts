// new-project, projects, project and -n: the current project lives in the config file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
beforeAll(async () => {
  h = await startCli();
  await h.api.user('pat');
  await h.login('pat');
});
afterAll(() => h.close());

const pat = (...argv: string[]) => h.berth(argv, 'pat');

describe('projects', () => {
  it('new-project creates the project with its display name and switches to it', async () => {
    const r = await pat('new-project', 'shop', '--display-name', 'The Shop', '--description', 'sells things');

    expect(r).toEqual({ code: 0, stdout: `Now using project "shop" on server "${h.server}".\n`, stderr: '' });
    expect(h.config('pat').project).toBe('shop');
    const stored = await h.api.call('GET', '/api/v1/projects/shop', h.api.adminToken);
    expect(stored.body.spec).toEqual({ displayName: 'The Shop', description: 'sells things' });
    expect(stored.body.metadata.annotations['berth.io/requester']).toBe('pat');
  });

  it('projects lists what the user can see and marks the current one', async () => {
    await pat('new-project', 'blog');
    await h.api.call('POST', '/api/v1/projects', h.api.adminToken, { metadata: { name: 'admins-only' } });

    const r = await pat('projects');

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  * blog\n    shop - The Shop\n');
    expect(r.stdout).not.toContain('admins-only');
    expect(r.stdout).toContain(`Using project "blog" on server "${h.server}".`);
  });

  it('project NAME switches after checking the project exists; project alone prints it', async () => {
    expect((await pat('project', 'shop')).stdout).toBe(`Now using project "shop" on server "${h.server}".\n`);
    expect(h.config('pat').project).toBe('shop');
    expect((await pat('project')).stdout).toBe(`Using project "shop" on server "${h.server}".\n`);
    expect((await pat('project', '-q')).stdout).toBe('shop\n');
  });

  it.each([
    ['a project that does not exist', 'no-such-project'],
    ["someone else's project", 'admins-only'],
  ])('project refuses %s and keeps the current one', async (_, name) => {
    await pat('project', 'shop');

    const r = await pat('project', name);

    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: project "${name}" does not exist or you have no role in it\nhint: list your projects with \`berth projects\`\n`,
    });
    expect(h.config('pat').project).toBe('shop');
  });

  it('-n works in another project for one command without switching', async () => {
    await pat('project', 'shop');
    await h.api.call('POST', '/api/v1/projects/blog/configmaps', h.api.adminToken, { metadata: { name: 'blog-settings' }, spec: { data: {} } });

    const r = await pat('get', 'configmaps', '-n', 'blog');

    expect(r.stdout).toMatch(/^NAME\s+DATA\s+AGE\nblog-settings\s+0\s+\d+s\n$/);
    expect(h.config('pat').project).toBe('shop');
  });

  it('a project-scoped command without any project says how to choose one', async () => {
    await h.api.user('newbie');
    await h.login('newbie');

    const r = await h.berth(['get', 'configmaps'], 'newbie');

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: no project given and no current project\nhint: pass `-n PROJECT`, switch with `berth project NAME`, or create one with `berth new-project NAME`\n',
    );
  });

  it('new-project with a name that is not DNS-1123 relays the API\'s reason and creates nothing', async () => {
    const r = await pat('new-project', 'Bad_Name');

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: metadata\.name: must be a DNS-1123 label[^\n]*\n$/);
    expect((await h.api.call('GET', '/api/v1/projects', h.api.adminToken)).body.items.map((p: any) => p.metadata.name)).not.toContain('Bad_Name');
  });
});
