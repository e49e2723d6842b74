// Images from outside: `docker login` to the platform registry with a Berth token, `docker push`
// to the project's namespace, and the push moves the ImageStream's tag, which rolls out the
// DeploymentConfig that follows it, as a built image does. Real Docker CLI, registry and API.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentConfigReconciler } from '../../shared/deploy/deploymentconfig.ts';
import type { DeploymentConfig } from '../../shared/model/objects.ts';
import { busyboxBases } from '../builds/fake-builders.ts';
import { authRegistry, tinyImage, type AuthRegistry } from '../support/registry.ts';

const suffix = randomBytes(3).toString('hex');
const PROJECT = `shop-${suffix}`;
let r: AuthRegistry;
let owner: string;
const tags: string[] = [];

async function imageStreamTag(stream: string, tag: string, waitMs = 20_000): Promise<string | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const is = await r.api.store.get<any>({ kind: 'ImageStream', project: PROJECT, name: stream });
    const item = is?.status.tags?.find((t: { tag: string }) => t.tag === tag)?.items[0];
    if (item || Date.now() > until) return item?.dockerImageReference;
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function push(local: string, remote: string): Promise<{ status: number | null; out: string }> {
  tags.push(remote);
  expect((await r.docker(['tag', local, remote])).status).toBe(0);
  return r.docker(['push', remote]);
}

beforeAll(async () => {
  await busyboxBases();
  r = await authRegistry();
  owner = await r.api.user('olga');
  expect((await r.api.call('POST', '/api/v1/projects', owner, { metadata: { name: PROJECT }, spec: {} })).status).toBe(201);
  await tinyImage(r, `berth-test/pushed-${suffix}:1`, `${suffix}-1`);
  await tinyImage(r, `berth-test/pushed-${suffix}:2`, `${suffix}-2`);
}, 300_000);

afterAll(async () => {
  for (const t of [...tags, `berth-test/pushed-${suffix}:1`, `berth-test/pushed-${suffix}:2`]) await r?.docker(['rmi', t]);
  await r?.stop();
});

describe('docker login and push with a Berth token', () => {
  it('the registry refuses pushes before a login', async () => {
    const out = await push(`berth-test/pushed-${suffix}:1`, `${r.host}/${PROJECT}/web:v0`);
    expect(out.status).not.toBe(0);
    expect(out.out).toMatch(/unauthorized|authentication required|denied/i);
  });

  it('docker login takes any username and a Berth token as the password; a wrong token is refused', async () => {
    expect((await r.docker(['login', r.host, '-u', 'whoever', '--password-stdin'], 'berth_not-a-token')).status).not.toBe(0);
    const ok = await r.docker(['login', r.host, '-u', 'olga', '--password-stdin'], owner);
    expect(ok.out).toMatch(/Login Succeeded/);
  });

  it('a push to the project moves the ImageStream tag to the pushed digest, and the DC that follows it rolls out', async () => {
    const dc = {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { app: 'web' },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: '' }] } },
        triggers: [{ type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: ['web'], from: { kind: 'ImageStreamTag', name: 'web:v1' } } }],
      },
    };
    expect((await r.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, owner, dc)).status).toBe(201);
    const out = await push(`berth-test/pushed-${suffix}:1`, `${r.host}/${PROJECT}/web:v1`);
    expect(out.status, out.out).toBe(0);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out.out)?.[1];
    expect(digest).toBeDefined();
    const reference = await imageStreamTag('web', 'v1');
    expect(reference).toBe(`${r.host}/${PROJECT}/web@${digest}`);

    const ctl = deploymentConfigReconciler({ store: r.api.store });
    await ctl.reconcile({ kind: 'ImageStream', project: PROJECT, name: 'web' });
    await ctl.reconcile({ kind: 'DeploymentConfig', project: PROJECT, name: 'web' });
    const stored = (await r.api.store.get<DeploymentConfig>({ kind: 'DeploymentConfig', project: PROJECT, name: 'web' }))!;
    expect(stored.spec.template.spec.containers[0]!.image).toBe(reference);
    expect(stored.status.latestVersion).toBe(1);
    expect(await r.api.store.get({ kind: 'ReplicationController', project: PROJECT, name: 'web-1' })).toBeTruthy();
  });

  it('a second push of a new image to the same tag moves it again; pulling it back works with the same login', async () => {
    const out = await push(`berth-test/pushed-${suffix}:2`, `${r.host}/${PROJECT}/web:v1`);
    expect(out.status, out.out).toBe(0);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out.out)![1]!;
    const until = Date.now() + 20_000;
    while ((await imageStreamTag('web', 'v1')) !== `${r.host}/${PROJECT}/web@${digest}` && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
    const is = await r.api.store.get<any>({ kind: 'ImageStream', project: PROJECT, name: 'web' });
    expect(is.status.tags.find((t: { tag: string }) => t.tag === 'v1').items.map((i: { image: string }) => i.image)[0]).toBe(digest);
    expect(is.status.tags.find((t: { tag: string }) => t.tag === 'v1').items).toHaveLength(2);
    await r.docker(['rmi', `${r.host}/${PROJECT}/web:v1`]);
    const pulled = await r.docker(['pull', `${r.host}/${PROJECT}/web@${digest}`]);
    expect(pulled.status, pulled.out).toBe(0);
  });

  it('logging out of Berth (revoking the token) stops pushes with it', async () => {
    const revoked = await r.api.user('rita');
    await r.api.call('POST', `/api/v1/projects/${PROJECT}/rolebindings`, owner, { metadata: { name: 'rita' }, spec: { role: 'edit', subjects: [{ kind: 'User', name: 'rita' }] } });
    expect((await r.docker(['login', r.host, '-u', 'rita', '--password-stdin'], revoked)).status).toBe(0);
    await r.api.identity.logout(revoked);
    const out = await push(`berth-test/pushed-${suffix}:1`, `${r.host}/${PROJECT}/web:rita`);
    expect(out.status).not.toBe(0);
    expect(await imageStreamTag('web', 'rita', 1000)).toBeUndefined();
  });
});
