// import-image and new-app --image through the real CLI and API: an image from another registry
// (the test's open loopback registry, allowed here as a private source) is copied into the
// project's repository of the token-protected platform registry, its stream tag moves, and
// new-app makes a DeploymentConfig and a Service on the port the image EXPOSEs. On a platform
// that refuses private sources the same import is a 422 naming `from`.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { busyboxBases } from '../builds/fake-builders.ts';
import { runCli } from '../cli/harness.ts';
import { authRegistry, tinyImage, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const PROJECT = `imports-${suffix}`;
const LOCAL = `berth-test/import-${suffix}:1`;
let r: AuthRegistry;
let upstream: string;
let configFile: string;
const berth = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: configFile });
const tagOf = async (stream: string, tag: string) => (await r.api.store.get<any>({ kind: 'ImageStream', project: PROJECT, name: stream }))?.status.tags?.find((t: { tag: string }) => t.tag === tag)?.items[0];

beforeAll(async () => {
  await busyboxBases();
  r = await authRegistry();
  r.deps.allowPrivateSources = true;
  const token = await r.api.user('ivy');
  expect((await r.api.call('POST', '/api/v1/projects', token, { metadata: { name: PROJECT }, spec: {} })).status).toBe(201);
  configFile = join(tmpdir(), `berth-import-${suffix}.json`);
  writeFileSync(configFile, JSON.stringify({ server: r.apiUrl, token, user: 'ivy', project: PROJECT }));
  await tinyImage(r, LOCAL, suffix, 9090);
  upstream = `${inject('registryHost')}/upstream-${suffix}/web:1`;
  await r.docker(['tag', LOCAL, upstream]);
  const pushed = await r.docker(['push', upstream]);
  expect(pushed.status, pushed.out).toBe(0);
}, 300_000);

afterAll(async () => {
  for (const t of [LOCAL, upstream]) await r?.docker(['rmi', t]);
  await r?.stop();
});

describe('import-image', () => {
  it('needs --confirm for a new image stream, and changes nothing without it', async () => {
    const out = await berth('import-image', 'web:v1', '--from', upstream);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('--confirm');
    expect(await r.api.store.get({ kind: 'ImageStream', project: PROJECT, name: 'web' })).toBeUndefined();
  });

  it('copies the image into the platform registry and moves the tag; the copy pulls with a login', async () => {
    const out = await berth('import-image', 'web:v1', '--from', upstream, '--confirm');
    expect(out.code, out.stderr).toBe(0);
    const item = await tagOf('web', 'v1');
    expect(item.dockerImageReference).toBe(`${r.host}/${PROJECT}/web@${item.image}`);
    expect(out.stdout).toContain('exposes 9090');
    const token = (await r.deps.tokens.sign('ivy', [{ type: 'repository', name: `${PROJECT}/web`, actions: ['pull'] }])).token;
    const manifest = await fetch(`http://${r.host}/v2/${PROJECT}/web/manifests/v1`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(item.image);
  });

  it('is refused with a 422 naming `from` where private registries are not allowed', async () => {
    r.deps.allowPrivateSources = false;
    try {
      const token = JSON.parse((await import('node:fs')).readFileSync(configFile, 'utf8')).token;
      const res = await r.api.call('POST', `/api/v1/projects/${PROJECT}/imagestreamimports`, token, { name: 'web', tag: 'v2', from: upstream });
      expect(res.status).toBe(422);
      expect(res.body.details[0].field).toBe('from');
      expect(await tagOf('web', 'v2')).toBeUndefined();
    } finally {
      r.deps.allowPrivateSources = true;
    }
  });
});

describe('new-app --image', () => {
  it('makes the image stream, a DeploymentConfig following it and a Service on the exposed port', async () => {
    const out = await berth('new-app', '--image', upstream, '--name', 'site');
    expect(out.code, out.stderr).toBe(0);
    const dc = await r.api.store.get<any>({ kind: 'DeploymentConfig', project: PROJECT, name: 'site' });
    expect(dc.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 9090, protocol: 'TCP' }]);
    expect(dc.spec.triggers.find((t: { type: string }) => t.type === 'ImageChange').imageChangeParams.from.name).toBe('site:latest');
    const svc = await r.api.store.get<any>({ kind: 'Service', project: PROJECT, name: 'site' });
    expect(svc.spec.ports[0]).toMatchObject({ port: 9090, targetPort: 9090 });
    expect((await tagOf('site', 'latest')).dockerImageReference).toMatch(new RegExp(`^${r.host}/${PROJECT}/site@sha256:`));
  });

  it('when a later object cannot be made, nothing it made is left behind, the image stream included', async () => {
    // A quota of no Services: the stream is imported and the DeploymentConfig made, then the Service is refused.
    const quota = { metadata: { name: 'no-services' }, spec: { hard: { services: '0' } } };
    expect((await r.api.call('POST', `/api/v1/projects/${PROJECT}/resourcequotas`, r.api.adminToken, quota)).status).toBe(201);
    try {
      const out = await berth('new-app', '--image', upstream, '--name', 'blocked');
      expect(out.code).not.toBe(0);
      const lines = out.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^error: .*services/i);
      expect(lines.length, out.stderr).toBeLessThanOrEqual(2);
      for (const kind of ['ImageStream', 'DeploymentConfig', 'Service']) expect(await r.api.store.get({ kind, project: PROJECT, name: 'blocked' }), kind).toBeUndefined();
    } finally {
      expect((await r.api.call('DELETE', `/api/v1/projects/${PROJECT}/resourcequotas/no-services`, r.api.adminToken)).status).toBe(204);
    }
    // Once the cause is gone, the same command works: nothing of that name was in its way.
    const again = await berth('new-app', '--image', upstream, '--name', 'blocked');
    expect(again.code, again.stderr).toBe(0);
  });

  it('registry login --print names the platform registry and the user', async () => {
    const out = await berth('registry', 'login', '--print');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`docker login ${r.host} -u ivy --password-stdin`);
  });
});
