// create secret generic, create configmap, get secrets|configmaps, describe secret and
// set env --from, through the real API (values sealed at rest): describe and get show keys,
// types and sizes, never a value; set env --from adds one variable per key, read at pod start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { specCodecs } from '../../shared/secrets/codecs.ts';
import { PROJECT, startBuildCli, type BuildHarness } from './build-harness.ts';

const PW = 'cli-pw-9b41';
const dir = mkdtempSync(join(tmpdir(), 'berth-cli-files-'));
let h: BuildHarness;

beforeAll(async () => {
  h = await startBuildCli({ codecs: specCodecs(await LocalSecretBox.fromKeyFile(join(dir, 'key'))) });
  writeFileSync(join(dir, 'tls.key'), 'KEY-MATERIAL-3c2f\n');
  writeFileSync(join(dir, 'logo.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
  writeFileSync(join(dir, 'app.conf'), 'debug = false\n');
  const dc = { metadata: { name: 'web' }, spec: { replicas: 1, selector: { deploymentconfig: 'web' }, template: { metadata: { labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa', env: [{ name: 'KEEP', value: '1' }] }] } } } };
  expect((await h.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, h.api.adminToken, dc)).status).toBe(201);
});
afterAll(() => h.close());

describe('berth create secret generic / configmap', () => {
  it('makes a Secret from literals and files ([KEY=]PATH), and prints no value', async () => {
    const r = await h.berth(['create', 'secret', 'generic', 'db', '--from-literal', `password=${PW}`, '--from-literal', 'user=shop', '--from-file', `key=${join(dir, 'tls.key')}`]);
    expect(r).toEqual({ code: 0, stdout: 'secret/db created\n', stderr: '' });
    const got = JSON.parse((await h.berth(['get', 'secret', 'db', '-o', 'json'])).stdout);
    expect(got.spec).toEqual({ type: 'Opaque', data: { password: Buffer.from(PW).toString('base64'), user: Buffer.from('shop').toString('base64'), key: Buffer.from('KEY-MATERIAL-3c2f\n').toString('base64') } });
  });

  it('makes a ConfigMap: text files in data, other files in binaryData, named after the file', async () => {
    const r = await h.berth(['create', 'configmap', 'app', '--from-file', join(dir, 'app.conf'), '--from-file', join(dir, 'logo.bin'), '--from-literal', 'MODE=prod']);
    expect(r.code).toBe(0);
    expect((await h.get('configmaps', 'app')).spec).toEqual({ data: { 'app.conf': 'debug = false\n', MODE: 'prod' }, binaryData: { 'logo.bin': '//4AAQ==' } });
  });

  it.each([
    [['create', 'secret', 'generic', 'x'], /at least one --from-literal or --from-file/],
    [['create', 'secret', 'generic', 'x', '--from-literal', 'novalue'], /not KEY=VALUE/],
    [['create', 'secret', 'generic', 'x', '--from-file', '/nonexistent/file'], /not a readable file/],
    [['create', 'configmap', 'x', '--from-literal', 'a/b=1'], /not a valid key/],
    [['create', 'secret', 'generic', 'x', '--from-literal', 'a=1', '--from-literal', 'a=2'], /given twice/],
  ])('%j fails with a one-line reason and creates nothing', async (argv, reason) => {
    const r = await h.berth(argv);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(reason);
    expect(await h.get(argv[1] === 'secret' ? 'secrets' : 'configmaps', 'x')).toBeUndefined();
  });
});

describe('berth get / describe secrets', () => {
  it('get lists type and number of keys, no value', async () => {
    const r = await h.berth(['get', 'secrets']);
    expect(r.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(r.stdout).toMatch(/^db\s+Opaque\s+3\s/m);
    expect(r.stdout).not.toContain(PW);
    expect(r.stdout).not.toContain(Buffer.from(PW).toString('base64'));
  });

  it('describe shows each key with its size, never a value', async () => {
    const r = await h.berth(['describe', 'secret', 'db']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('type: Opaque');
    expect(r.stdout).toMatch(/Data:\n\s+key:\s+18 bytes\n\s+password:\s+11 bytes\n\s+user:\s+4 bytes/);
    expect(r.stdout).not.toContain(PW);
    expect(r.stdout).not.toContain(Buffer.from(PW).toString('base64'));
    expect(r.stdout).not.toContain('KEY-MATERIAL');
  });
});

describe('berth set env --from', () => {
  it('adds a variable per key of the secret, with a prefix, referring to it rather than copying it', async () => {
    const r = await h.berth(['set', 'env', 'dc/web', '--from', 'secret/db', '--prefix', 'DB_']);
    expect(r).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web updated\n', stderr: '' });
    const env = (await h.get('deploymentconfigs', 'web')).spec.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: 'KEEP', value: '1' },
      { name: 'DB_KEY', valueFrom: { secretKeyRef: { name: 'db', key: 'key' } } },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } },
    ]);
    expect(JSON.stringify(env)).not.toContain(PW);
  });

  it('from a configmap: keys that make no variable name (app.conf) become APP_CONF; --list says where each comes from', async () => {
    expect((await h.berth(['set', 'env', 'dc/web', '--from', 'configmap/app'])).code).toBe(0);
    const list = await h.berth(['set', 'env', 'dc/web', '--list']);
    expect(list.stdout).toContain('# DB_PASSWORD from secret db, key password');
    expect(list.stdout).toContain('# APP_CONF from configmap app, key app.conf');
    expect(list.stdout).toContain('KEEP=1');
    expect(list.stdout).not.toContain(PW);
  });

  it.each([
    [['set', 'env', 'dc/web', '--from', 'dc/web'], /names no secret or configmap/],
    [['set', 'env', 'dc/web', '--from', 'secret/missing'], /not found/],
    [['set', 'env', 'dc/web', 'A=1', '--prefix', 'X_'], /--prefix goes with --from/],
  ])('%j fails with a reason', async (argv, reason) => {
    const r = await h.berth(argv);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(reason);
  });
});
