// Idling through the real `npm run up` (DynamoDB Local, Docker Engine, the host agent, HAProxy):
// `berth idle dc/web` stops the sample app's pod; the next request through the router is held
// (never answered 503) while the DC wakes, and answered 200 by the new pod.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/harness.ts';
import { deploySample, explain, podsGone, removeProject, sampleImage, startPlatform, viaRouter, type Platform } from './sample-app.ts';

const home = mkdtempSync(join(tmpdir(), 'berth-e2e-idle-'));
const P = 'idle-e2e';
let p: Platform;
let image: string;

beforeAll(async () => {
  image = await sampleImage(new Docker({ socketPath: '/var/run/docker.sock' }));
  p = await startPlatform(home);
}, 600_000);

afterAll(async () => {
  if (p) await removeProject(p, P).catch(() => undefined);
  await p?.up.stop();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('idling through npm run up', () => {
  it('berth idle stops the pod; a request through the route wakes it and is answered 200, not 503', async () => {
    const host = await deploySample(p, P, 'web', image);
    const cli = (...argv: string[]) => runCli(argv, { BERTH_CONFIG: join(home, 'cli.json'), HOME: home });
    expect((await cli('login', p.up.apiUrl, '--username', 'admin', '--password', 'idle-admin-password')).code).toBe(0);

    const idled = await cli('idle', 'dc/web', '-n', P);
    expect(idled, idled.stderr).toMatchObject({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web idled (1 replicas remembered)\n' });
    await podsGone(p, P, 'web');

    const asked = Date.now();
    const reply = await viaRouter(p.ports.routerHttp, host);
    if (reply.status !== 200) expect.fail(`answered ${reply.status} after ${Date.now() - asked} ms: ${reply.body.slice(0, 200)}\n${await explain(p, P)}`);
    expect(reply.body).toContain('Directory listing');
    const dc = (await p.api('GET', `/api/v1/projects/${P}/deploymentconfigs/web`)).body;
    expect(dc.spec.replicas).toBe(1);
    expect(dc.metadata.annotations).not.toHaveProperty('idling.berth.io/idled-at');
    const got = await cli('get', 'dc', 'web', '-n', P);
    expect(got.stdout).not.toContain('idled');
  }, 300_000);
});
