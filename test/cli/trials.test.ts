// The trial commands against the real API on DynamoDB Local: `berth signup` logs in and switches
// to the new project; a cluster admin lists trials, extends, converts and ends them, reads and
// replaces the trial plan, sets a user's project limit and reads the audit log.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../shared/api/app.ts';
import { DEFAULT_TRIAL_SETTINGS } from '../../shared/trials/settings.ts';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
const settings = { ...DEFAULT_TRIAL_SETTINGS, signup: 'open' as const };
beforeAll(async () => {
  h = await startCli((api) => createApi({ store: api.store, identity: api.identity, trials: settings }));
});
afterAll(() => h?.close());

describe('berth signup', () => {
  it('signs up, logs in and switches to the new project', async () => {
    const r = await h.berth(['signup', h.server, '--username', 'sam', '--password', 'a-long-password'], 'sam');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Using project "sam". Your trial ends at ');
    expect(h.config('sam')).toMatchObject({ server: h.server, user: 'sam', project: 'sam' });
    expect((await h.berth(['whoami'], 'sam')).stdout).toBe('sam\n');
    expect((await h.berth(['get', 'quota'], 'sam')).stdout).toContain('trial');
  });

  it('takes --project, and a taken name fails in one line with a hint', async () => {
    expect((await h.berth(['signup', h.server, '-u', 'tom', '-p', 'a-long-password', '--project', 'toms-shop'], 'tom')).code).toBe(0);
    expect(h.config('tom').project).toBe('toms-shop');
    const again = await h.berth(['signup', h.server, '-u', 'tom', '-p', 'a-long-password', '--project', 'other'], 'tom2');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: username: user "tom" already exists\nhint: choose another username\n');
  });

  it('a trial in its last day is warned once per command, on stderr', async () => {
    settings.trialDays = 0.5;
    try {
      expect((await h.berth(['signup', h.server, '-u', 'uma', '-p', 'a-long-password'], 'uma')).code).toBe(0);
    } finally {
      settings.trialDays = DEFAULT_TRIAL_SETTINGS.trialDays;
    }
    const r = await h.berth(['get', 'all'], 'uma');
    expect(r.code).toBe(0);
    expect(r.stderr.match(/^warning: your trial ends at \S+: its projects and everything in them will then be deleted$/gm)).toHaveLength(1);
    expect((await h.berth(['whoami'], 'sam')).stderr).toBe('');
  });

  it('a trial user cannot make a second project', async () => {
    const r = await h.berth(['new-project', 'sam-two'], 'sam');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: user "sam" is on a trial, and a trial has one project\nhint: /);
  });
});

describe('berth adm trials', () => {
  it('lists trials with their end, extends, converts and ends one', async () => {
    await h.login('admin');
    const list = await h.berth(['adm', 'trials']);
    expect(list.stdout).toMatch(/^USER\s+EXPIRES\s+PROJECTS\n/);
    expect(list.stdout).toMatch(/^sam\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+sam$/m);
    const before = (await h.berth(['adm', 'trials', '-o', 'json'])).stdout;
    const end = JSON.parse(before).find((t: any) => t.user === 'sam').expires;
    const extended = await h.berth(['adm', 'trial', 'extend', 'sam', '--days', '2']);
    expect(extended.stdout).toBe(`trial of "sam" now ends at ${new Date(Date.parse(end) + 2 * 86400_000).toISOString()}\n`);
    expect((await h.berth(['adm', 'trial', 'convert', 'tom'])).stdout).toBe('user "tom" is no longer on a trial\n');
    expect((await h.berth(['adm', 'trials'])).stdout).not.toContain('tom');
    expect((await h.berth(['adm', 'trial', 'expire', 'sam'])).stdout).toContain('trial of "sam" ended');
    const bad = await h.berth(['adm', 'trial', 'extend', 'sam', '--days', 'many']);
    expect(bad.code).toBe(2);
    const notTrial = await h.berth(['adm', 'trial', 'convert', 'tom']);
    expect(notTrial.stderr).toBe('error: user "tom" is not on a trial\nhint: list trials with `berth adm trials`\n');
  });

  it('reads and replaces the trial plan', async () => {
    expect((await h.berth(['adm', 'trial-plan'])).stdout).toContain('pods: 4');
    const dir = mkdtempSync(join(tmpdir(), 'berth-plan-'));
    writeFileSync(join(dir, 'plan.yaml'), 'quota:\n  hard: { pods: 6, routes: 3 }\nlimitRange:\n  limits: []\n');
    expect((await h.berth(['adm', 'trial-plan', '-f', join(dir, 'plan.yaml')])).code).toBe(0);
    expect(JSON.parse((await h.berth(['adm', 'trial-plan', '-o', 'json'])).stdout)).toEqual({ quota: { hard: { pods: 6, routes: 3 } }, limitRange: { limits: [] } });
    writeFileSync(join(dir, 'bad.yaml'), 'quota:\n  hard: { pods: lots }\n');
    const bad = await h.berth(['adm', 'trial-plan', '-f', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: spec\.quota\.hard\.pods: a whole number\n/);
  });

  it('sets a project limit and reads the audit log', async () => {
    expect((await h.berth(['adm', 'project-limit', 'tom', '1'])).stdout).toBe('user "tom" may create 1 project\n');
    const made = await h.berth(['new-project', 'tom-two'], 'tom');
    expect(made.code).toBe(1);
    expect(made.stderr).toContain('may create at most 1 project');
    const audit = await h.berth(['adm', 'audit', '--user', 'sam']);
    expect(audit.stdout).toMatch(/^TIME\s+TYPE\s+USER\s+ADDRESS\s+PROJECT\s+MESSAGE\n/);
    expect(audit.stdout).toMatch(/SignUp\s+sam\s+127\.0\.0\.1\s+sam\s/);
    expect(audit.stdout).toContain('ProjectCapRefused');
    expect(audit.stdout).toContain('TrialExtended');
    const tenant = await h.berth(['adm', 'audit'], 'tom');
    expect(tenant.code).toBe(1);
    expect(tenant.stderr).toContain('is not a cluster administrator');
  });
});
