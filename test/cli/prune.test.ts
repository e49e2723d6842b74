// berth adm prune builds|deployments: a dry run lists what would go and changes nothing;
// --confirm removes it; bad options get a one-line reason; users who are not cluster-admins
// are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRevision } from '../../shared/deploy/rollout-template.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
const P = 'prune-shop';

async function build(name: string, phase: string): Promise<void> {
  const b = await h.api.store.create({ kind: 'Build', metadata: { name, project: P, labels: { 'berth.io/buildconfig': 'app' } }, spec: {}, status: { phase: 'New' } } as never);
  await h.api.store.updateStatus({ ...b, status: { phase } } as BerthObject);
}

async function revision(n: number, phase: string): Promise<void> {
  const dc = { kind: 'DeploymentConfig', metadata: { name: 'web', project: P, labels: {}, annotations: {} }, spec: { replicas: 1, selector: { app: 'web' }, triggers: [], revisionHistoryLimit: 10, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1' }] } } } };
  const rc = await h.api.store.create(newRevision(dc as never, n, 'ConfigChange'));
  await h.api.store.updateStatus({ ...rc, status: { ...(rc.status as object), phase } } as BerthObject);
}

const names = async (kind: string) => (await h.api.store.list(kind, P)).items.map((o) => o.metadata.name).sort();

beforeAll(async () => {
  h = await startCli();
  await h.login('admin');
  await h.berth(['new-project', P]);
  for (const [name, phase] of [['app-1', 'Complete'], ['app-2', 'Failed'], ['app-3', 'Complete'], ['app-4', 'Running']] as const) await build(name, phase);
  await h.api.store.create({ kind: 'DeploymentConfig', metadata: { name: 'web', project: P }, spec: { replicas: 1, selector: { app: 'web' }, triggers: [], template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1' }] } } } } as never);
  for (const [n, phase] of [[1, 'Complete'], [2, 'Complete'], [3, 'Failed']] as const) await revision(n, phase);
});
afterAll(() => h.close());

describe('berth adm prune', () => {
  it('builds: a dry run lists the finished builds beyond the keep counts and changes nothing', async () => {
    const r = await h.berth(['adm', 'prune', 'builds', '--keep-complete', '1', '--keep-failed', '0', '--keep-younger-than', '0s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+REASON\\n${P}\\s+app-1\\s+beyond the 1 newest complete builds of its build config\\n${P}\\s+app-2\\s+beyond the 0 newest failed builds of its build config\\nDry run: 2 builds would be pruned; nothing was changed. Add --confirm to remove them.\\n$`));
    expect(await names('Build')).toEqual(['app-1', 'app-2', 'app-3', 'app-4']);
  });

  it('builds: --confirm removes them; young builds are kept by default', async () => {
    expect((await h.berth(['adm', 'prune', 'builds', '--keep-complete', '0', '--keep-failed', '0', '--confirm'])).stdout).toBe('0 builds pruned\n');
    const r = await h.berth(['adm', 'prune', 'builds', '--keep-complete', '1', '--keep-failed', '0', '--keep-younger-than', '0s', '--confirm']);
    expect(r.stdout).toMatch(/\n2 builds pruned\n$/);
    expect(await names('Build')).toEqual(['app-3', 'app-4']);
  });

  it('deployments: old revisions go, never the latest (a failed one here) nor the running one', async () => {
    const r = await h.berth(['adm', 'prune', 'deployments', '--keep-complete', '0', '--keep-younger-than', '0s', '--confirm']);
    expect(r.stdout).toMatch(new RegExp(`${P}\\s+web-1\\s+beyond the 0 newest complete revisions of its deployment config\\n1 deployments pruned\\n$`));
    expect(await names('ReplicationController')).toEqual(['web-2', 'web-3']);
  });

  it.each([
    [['--keep-younger-than', 'soon'], /--keep-younger-than.*duration/],
    [['--keep-complete', '-1'], /--keep-complete.*whole number/],
  ])('a bad option %j is a one-line reason and changes nothing', async (args, reason) => {
    const r = await h.berth(['adm', 'prune', 'builds', '--confirm', ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(reason);
    expect(await names('Build')).toEqual(['app-3', 'app-4']);
  });

  it('is refused to users who are not cluster-admins', async () => {
    await h.api.user('pat');
    await h.login('pat');
    const r = await h.berth(['adm', 'prune', 'deployments', '--confirm', '--keep-complete', '0', '--keep-younger-than', '0s'], 'pat');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cluster.admin/);
    expect(await names('ReplicationController')).toEqual(['web-2', 'web-3']);
  });
});
