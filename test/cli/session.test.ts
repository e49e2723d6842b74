// login, whoami, logout: the config file, its permissions, and what a missing or revoked token says.
import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../shared/local/ports.ts';
import { runCli, startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
beforeAll(async () => {
  h = await startCli();
});
afterAll(() => h.close());

const errorLines = (stderr: string) => stderr.trimEnd().split('\n');

describe('berth login', () => {
  it('stores server, token and user in a config file only its owner can read', async () => {
    const r = await h.login('admin');

    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`Logged into "${h.server}" as "admin".`);
    expect(statSync(h.configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(h.configFile())).mode & 0o777).toBe(0o700);
    const config = h.config();
    expect(config).toMatchObject({ server: h.server, user: 'admin' });
    expect((await h.api.call('GET', '/api/v1/whoami', config.token)).body.name).toBe('admin');
  });

  it('keeps the file private when it already existed with looser permissions', async () => {
    mkdirSync(dirname(h.configFile('loose')), { recursive: true });
    writeFileSync(h.configFile('loose'), '{}', { mode: 0o644 });

    await h.berth(['login', h.server, '-u', 'admin', '-p', 'admin-password'], 'loose');

    expect(statSync(h.configFile('loose')).mode & 0o777).toBe(0o600);
    expect(h.config('loose').user).toBe('admin');
  });

  it('refuses a wrong password with one error line and a hint, and stores nothing', async () => {
    const r = await h.berth(['login', h.server, '-u', 'admin', '-p', 'not-the-password'], 'wrong');

    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual(['error: wrong username or password', 'hint: check the username and password']);
    expect(() => statSync(h.configFile('wrong'))).toThrow(/ENOENT/);
  });

  it('takes the password from BERTH_PASSWORD and accepts a URL without a scheme for loopback', async () => {
    const config = h.configFile('env-password');
    const r = await runCli(['login', h.server.replace('http://', ''), '-u', 'admin'], { BERTH_CONFIG: config, BERTH_PASSWORD: 'admin-password' });

    expect(r.code).toBe(0);
    expect(h.config('env-password').server).toBe(h.server);
  });

  it('selects the only project the user has, and keeps the chosen one on the next login', async () => {
    await h.api.user('dora');
    await h.login('dora');
    await h.berth(['new-project', 'dora-one'], 'dora');
    await h.berth(['new-project', 'dora-two'], 'dora');
    await h.berth(['project', 'dora-one'], 'dora');

    const again = await h.login('dora');

    expect(again.stdout).toContain('Using project "dora-one".');
    expect(h.config('dora').project).toBe('dora-one');
  });
});

describe('berth whoami', () => {
  it('prints the user name, or the whole answer with -o json', async () => {
    await h.login('admin');

    expect(await h.berth(['whoami'])).toEqual({ code: 0, stdout: 'admin\n', stderr: '' });
    const json = await h.berth(['whoami', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'admin', groups: [], clusterAdmin: true });
  });

  it('with a token the server no longer knows, says so and how to log in again', async () => {
    await h.login('admin');
    const config = h.config();
    writeFileSync(h.configFile(), JSON.stringify({ ...config, token: 'made-up-token' }), { mode: 0o600 });

    const r = await h.berth(['whoami']);

    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      'error: the token is not valid; it may have been revoked',
      `hint: log in with \`berth login ${h.server} --username U --password P\``,
    ]);
  });

  it('when nothing listens at the server, suggests starting the platform', async () => {
    const port = await freePort();
    mkdirSync(dirname(h.configFile('nowhere')), { recursive: true });
    writeFileSync(h.configFile('nowhere'), JSON.stringify({ server: `http://127.0.0.1:${port}`, token: 't' }));

    const r = await h.berth(['whoami'], 'nowhere');

    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([`error: cannot connect to http://127.0.0.1:${port}: connection refused`, 'hint: is the platform running? start it with `npm run up`']);
  });

  it('reports a config file that is not JSON instead of crashing', async () => {
    mkdirSync(dirname(h.configFile('broken')), { recursive: true });
    writeFileSync(h.configFile('broken'), '{ not json');

    const r = await h.berth(['whoami'], 'broken');

    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([`error: the config file ${h.configFile('broken')} is not a JSON object of strings`, 'hint: fix it, or delete it and log in again']);
  });
});

describe('berth logout', () => {
  it('revokes the token on the server and forgets it, after which whoami fails with a hint', async () => {
    await h.login('admin');
    const token = h.config().token;

    const out = await h.berth(['logout']);

    expect(out.code).toBe(0);
    expect(h.config()).not.toHaveProperty('token');
    expect(h.config().server).toBe(h.server);
    expect((await h.api.call('GET', '/api/v1/whoami', token)).status).toBe(401);
    const r = await h.berth(['whoami']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `error: not logged in\nhint: log in with \`berth login ${h.server} --username U --password P\`\n` });
  });

  it('forgets a token the server already revoked', async () => {
    await h.login('admin');
    await h.api.call('POST', '/api/v1/logout', h.config().token);

    expect((await h.berth(['logout'])).code).toBe(0);
    expect(h.config()).not.toHaveProperty('token');
  });
});
