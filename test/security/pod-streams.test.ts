// Attack: a stranger who signed up a minute ago goes for another tenant's running pod through the
// streams into pods (exec and port-forward over WebSocket, pod logs, one-off pods of `run`): by its name in the victim's project, by the
// victim's pod name under a project of the stranger's own, by the engine's container name, and
// with the victim's project smuggled into the pod name. And what an exec runs with inside a
// pod: the pod's UID, no capabilities, no way to gain privileges.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectUid } from '../../shared/fleet/pod-container.ts';
import { startPodHarness, type PodHarness } from '../cli/pod-harness.ts';

const VICTIM = `victim-${randomBytes(3).toString('hex')}`;
const OWN = `mallory-${randomBytes(3).toString('hex')}`;
const POD = 'db-1-aaaaa';
let h: PodHarness;
let malloryToken = '';

beforeAll(async () => {
  h = await startPodHarness();
  await h.api.user('alice');
  malloryToken = await h.api.user('mallory');
  await h.login('alice');
  await h.login('mallory');
  expect((await h.berth(['new-project', VICTIM], 'alice')).code).toBe(0);
  expect((await h.berth(['new-project', OWN], 'mallory')).code).toBe(0);
  await h.runPod(VICTIM, POD, ['/bin/sh', '-c', 'echo victim-secret-line; exec python3 -m http.server 8080 --directory /tmp']);
  const dc = { metadata: { name: 'db' }, spec: { replicas: 0, selector: { app: 'db' }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.local/db@sha256:1', env: [{ name: 'DB_PASSWORD', value: 'victim-db-password' }] }] } }, triggers: [] } };
  expect((await h.api.call('POST', `/api/v1/projects/${VICTIM}/deploymentconfigs`, h.api.adminToken, dc)).status).toBe(201);
  // The stranger has a pod of their own on the same host.
  await h.runPod(OWN, 'web-1-bbbbb', ['/bin/sh', '-c', 'exec sleep 3600']);
}, 600_000);

afterAll(async () => {
  await h?.stop();
});

/** The status of a WebSocket upgrade of `path` with the stranger's token (101 when it opened). */
function upgradeStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.server.replace('http', 'ws')}${path}`, { headers: { Authorization: `Bearer ${malloryToken}` } });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', reject);
  });
}

const exec = (project: string, pod: string) => `/api/v1/projects/${project}/pods/${pod}/exec?command=cat&command=/proc/1/environ`;
const log = (project: string, pod: string) => `/api/v1/projects/${project}/pods/${pod}/log`;
const forward = (project: string, pod: string) => `/api/v1/projects/${project}/pods/${pod}/portforward?port=8080`;
const runPath = (project: string, dc: string) => `/api/v1/projects/${project}/deploymentconfigs/${dc}/run`;

describe("a stranger and another tenant's pod", () => {
  it('cannot exec into it or read its log by name in its project (403)', async () => {
    expect(await upgradeStatus(exec(VICTIM, POD))).toBe(403);
    expect((await h.api.call('GET', log(VICTIM, POD), malloryToken)).status).toBe(403);
    expect((await h.api.call('GET', `${log(VICTIM, POD)}?follow=1`, malloryToken)).status).toBe(403);
    const r = await h.berth(['exec', POD, '-n', VICTIM, '--', 'id'], 'mallory');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect((await h.berth(['logs', `pod/${POD}`, '-n', VICTIM], 'mallory')).stdout).toBe('');
  });

  it('learns nothing of which pods exist there: the pod is read beside the authorisation, and the refusal is all that is answered', async () => {
    // A pod that runs, one that does not exist, and a name no pod may have: the same 403, word for word.
    const answer = async (path: string) => {
      const res = await fetch(`${h.server}${path}`, { headers: { Authorization: `Bearer ${malloryToken}` } });
      return { status: res.status, body: await res.text() };
    };
    for (const route of [exec, log, forward]) {
      const [running, missing, invalid] = await Promise.all([POD, 'nope-1-zzzzz', 'x'.repeat(300)].map((pod) => answer(route(VICTIM, pod))));
      expect(running, route(VICTIM, POD)).toMatchObject({ status: 403 });
      expect(running!.body).toMatch(/cannot (create|get) objects in project/);
      expect(missing).toEqual(running);
      expect(invalid).toEqual(running);
    }
    expect(await upgradeStatus(exec(VICTIM, 'nope-1-zzzzz'))).toBe(403);
  });

  it.each([
    ['its name under a project of their own', POD],
    ["the engine's container name", `berth-${VICTIM}_${POD}`],
    ['the victim project smuggled into the name', `..%2F..%2F${VICTIM}%2Fpods%2F${POD}`],
    ['an encoded underscore', `${VICTIM}%5F${POD}`],
  ])('cannot reach it by %s (404 or refused, never the pod)', async (_, name) => {
    const status = await upgradeStatus(exec(OWN, name));
    expect([400, 404]).toContain(status);
    expect([400, 404]).toContain(await upgradeStatus(forward(OWN, name)));
    const res = await h.api.call('GET', log(OWN, name), malloryToken);
    expect([400, 404]).toContain(res.status);
    expect(JSON.stringify(res.body)).not.toContain('victim-secret-line');
  });

  it('cannot port-forward to it, by WebSocket or through the CLI (403)', async () => {
    expect(await upgradeStatus(forward(VICTIM, POD))).toBe(403);
    expect((await fetch(`${h.server}${forward(VICTIM, POD)}`, { headers: { Authorization: `Bearer ${malloryToken}` } })).status).toBe(403);
    const r = await h.berth(['port-forward', POD, ':8080', '-n', VICTIM], 'mallory');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it("cannot start a one-off pod of its deploymentconfig (its image, env and secrets), nor name it from their own project", async () => {
    const r = await h.api.call('POST', runPath(VICTIM, 'db'), malloryToken, { command: ['env'] });
    expect(r.status).toBe(403);
    expect((await h.api.call('POST', runPath(OWN, 'db'), malloryToken, { command: ['env'] })).status).toBe(404);
    expect((await h.api.call('POST', runPath(OWN, `..%2F..%2F${VICTIM}%2Fdeploymentconfigs%2Fdb`), malloryToken, { command: ['env'] })).status).toBe(404);
    const cli = await h.berth(['run', 'dc/db', '-n', VICTIM, '--', 'env'], 'mallory');
    expect(cli.code).toBe(1);
    expect(cli.stdout).not.toContain('victim-db-password');
    const pods = (await h.api.call('GET', `/api/v1/projects/${VICTIM}/pods`, h.api.adminToken)).body.items as { metadata: { name: string } }[];
    expect(pods.map((p) => p.metadata.name)).toEqual([POD]);
  });

  it('cannot use a project of their own in the path and another in the query', async () => {
    const status = await upgradeStatus(`${exec(OWN, POD)}&project=${VICTIM}`);
    expect(status).toBe(404);
  });

  it('leaves no trace of their attempts in the victim pod (no session recorded, none run)', async () => {
    const events = (await h.api.call('GET', `/api/v1/projects/${VICTIM}/events`, h.api.adminToken)).body.items as { spec: { message: string } }[];
    expect(events.filter((e) => e.spec.message.includes('mallory'))).toEqual([]);
  });
});

describe('inside their own pod, an exec', () => {
  it("runs as the project's UID in group 0 with no capabilities and no way to gain privileges", async () => {
    const r = await h.berth(['exec', 'web-1-bbbbb', '-n', OWN, '--', 'sh', '-c', 'id -u; id -g; grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status'], 'mallory');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([String(projectUid(OWN)), '0', 'CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'NoNewPrivs:\t1', '']);
  });

  it('cannot become root (no setuid gain, no root shell)', async () => {
    const r = await h.berth(['exec', 'web-1-bbbbb', '-n', OWN, '--', 'sh', '-c', 'su -c id root </dev/null; echo exit=$?; id -u'], 'mallory');
    expect(r.stdout).toContain('exit=1');
    expect(r.stdout.trim().split('\n').pop()).toBe(String(projectUid(OWN)));
  });

  it("cannot see the victim's processes or files", async () => {
    const r = await h.berth(['exec', 'web-1-bbbbb', '-n', OWN, '--', 'sh', '-c', 'cat /proc/*/cmdline 2>/dev/null | tr "\\0" " "'], 'mallory');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('victim-secret-line');
    expect(r.stdout).toContain('sleep 3600');
    expect(r.stdout.match(/sleep 3600/g)).toHaveLength(1);
  });
});
