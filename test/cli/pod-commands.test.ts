// exec, rsh and pod logs through the real API (WebSocket exec, streamed logs) into containers on
// the real Docker Engine: stdout and stderr come back apart with the remote exit code, stdin
// reaches the command, rsh gives a terminal in the app's environment (driven through a
// pseudo-terminal), logs -f follows new lines, a `view` member may read logs but not exec, and
// every session is an event in the project.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectUid } from '../../shared/fleet/pod-container.ts';
import { startPodHarness, type PodHarness } from './pod-harness.ts';

const P = `streams-${randomBytes(3).toString('hex')}`;
const POD = 'web-1-aaaaa';
let h: PodHarness;

beforeAll(async () => {
  h = await startPodHarness();
  await h.projectWithViewer(P);
  await h.runPod(P, POD, ['/bin/sh', '-c', 'echo started; sleep 0.3; echo warming >&2; exec sleep 3600'], { env: [{ name: 'GREETING', value: 'hello-from-env' }] });
}, 600_000);

afterAll(async () => {
  await h?.stop();
});

describe('berth exec', () => {
  it('returns stdout and stderr apart and the remote exit code as its own', async () => {
    const r = await h.berth(['exec', POD, '-n', P, '--', 'sh', '-c', 'echo out-line; echo err-line >&2; exit 7'], 'alice');
    expect(r.stdout).toBe('out-line\n');
    expect(r.stderr).toBe('err-line\n');
    expect(r.code).toBe(7);
  });

  it("runs as the pod's UID in the pod's environment", async () => {
    const r = await h.berth(['exec', `pod/${POD}`, '-n', P, '--', 'sh', '-c', 'id -u; echo $GREETING'], 'alice');
    expect(r).toMatchObject({ code: 0, stdout: `${projectUid(P)}\nhello-from-env\n` });
  });

  it('passes stdin with -i, to its end', async () => {
    const r = await h.berth(['exec', '-i', POD, '-n', P, '--', 'sh', '-c', 'wc -l; cat'], 'alice', Readable.from(['one\n', 'two\n', 'three\n']));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('3');
  });

  it('takes dc/NAME as a running pod of it', async () => {
    const r = await h.berth(['exec', 'dc/web', '-n', P, '--', 'hostname'], 'alice');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
  });

  it('a view member is refused (403), with the reason', async () => {
    const r = await h.berth(['exec', POD, '-n', P, '--', 'true'], 'victor');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot create objects in project');
  });

  it('a pod that does not exist is a 404 with a hint', async () => {
    const r = await h.berth(['exec', 'nope-1-zzzzz', '-n', P, '--', 'true'], 'alice');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Pod "nope-1-zzzzz" not found/);
    expect(r.stderr).toContain(`berth get pods -n ${P}`);
  });

  it('the pod read beside the authorisation answers as it did after it: a name too long is a 422 naming it, a missing pod a 404', async () => {
    // Plain GETs of the exec path, as the CLI sends one for the reason of a refused upgrade.
    const token = (await h.api.identity.login('alice', 'password-alice')).token;
    const get = async (pod: string) => {
      const res = await fetch(`${h.server}/api/v1/projects/${P}/pods/${pod}/exec?command=true`, { headers: { Authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as { code: string; message: string } };
    };

    const bad = await get('x'.repeat(300));
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toMatch(/name/);
    expect(await get('nope-1-zzzzz')).toMatchObject({ status: 404, body: { code: 'NotFound' } });
    expect(await get(POD)).toMatchObject({ status: 400, body: { code: 'UpgradeRequired' } });
  });

  it('each session is an event in the project, naming who ran what', async () => {
    const r = await h.berth(['get', 'events', '-n', P, '-o', 'json'], 'victor');
    const events = JSON.parse(r.stdout).items as { spec: { reason: string; message: string; involvedObject: { name: string } } }[];
    const execs = events.filter((e) => e.spec.reason === 'Exec');
    expect(execs.map((e) => e.spec.message)).toContain('user "alice" exec: sh -c echo out-line; echo err-line >&2; exit 7');
    expect(execs.every((e) => e.spec.involvedObject.name === POD)).toBe(true);
    expect(execs.some((e) => e.spec.message.includes('victor'))).toBe(false);
  });

  it('each session is also in the cluster audit log, for cluster admins only', async () => {
    await h.login('admin');
    const r = await h.berth(['adm', 'audit', '--user', 'alice', '-o', 'json']);
    expect(r.stderr).toBe('');
    const sessions = (JSON.parse(r.stdout) as { spec: { type: string; project: string; message: string } }[]).filter((e) => e.spec.type === 'PodSession');
    expect(sessions).toContainEqual(expect.objectContaining({ spec: expect.objectContaining({ project: P, message: `user "alice" exec: sh -c echo out-line; echo err-line >&2; exit 7 (pod ${POD})` }) }));
    const denied = await h.berth(['adm', 'audit'], 'alice');
    expect(denied.code).toBe(1);
  });
});

describe('berth rsh', () => {
  it("opens a terminal in the app's environment: typed commands run and their output comes back", async () => {
    // The bundled CLI in a pseudo-terminal (util-linux `script`), typing into it.
    const env = { ...process.env, BERTH_CONFIG: h.configFile('alice'), HOME: '/tmp' };
    const child = spawn('script', ['-qfec', `node dist/cli/berth.mjs rsh ${POD} -n ${P}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const until = async (what: RegExp) => {
      for (let i = 0; i < 150 && !what.test(out); i++) await sleep(100);
      expect(out).toMatch(what);
    };
    await until(/\$ $/m);
    child.stdin.write('echo "home=$HOME app=$APP_ROOT tty=$(tty)"\r');
    await until(/home=\/opt\/app-root\/src app=\/opt\/app-root tty=\/dev\/pts/);
    child.stdin.write('exit 3\r');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });

  it('runs a COMMAND in the same environment without a terminal', async () => {
    const r = await h.berth(['rsh', POD, '-n', P, '--', 'sh', '-c', 'echo $APP_ROOT; pwd'], 'alice', Readable.from([]));
    expect(r).toMatchObject({ code: 0, stdout: '/opt/app-root\n/opt/app-root/src\n' });
  });

  it('a view member is refused', async () => {
    const r = await h.berth(['rsh', POD, '-n', P, '--', 'true'], 'victor', Readable.from([]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot create objects');
  });
});

describe('berth logs (pods)', () => {
  it('prints the log, --tail lines of it; a view member may read it', async () => {
    expect(await h.berth(['logs', `pod/${POD}`, '-n', P], 'victor')).toMatchObject({ code: 0, stdout: 'started\nwarming\n' });
    expect(await h.berth(['logs', `pod/${POD}`, '--tail', '1', '-n', P], 'victor')).toMatchObject({ code: 0, stdout: 'warming\n' });
  });

  it('--since leaves out older lines', async () => {
    await sleep(2100);
    expect(await h.berth(['logs', `dc/web`, '--since', '1s', '-n', P], 'victor')).toMatchObject({ code: 0, stdout: '' });
    expect(await h.berth(['logs', `dc/web`, '--since', '1h', '-n', P], 'victor')).toMatchObject({ code: 0, stdout: 'started\nwarming\n' });
  });

  it('-f follows new lines as they come, until the container stops', async () => {
    const pod = 'ticker-1-bbbbb';
    await h.runPod(P, pod, ['/bin/sh', '-c', 'i=0; while [ $i -lt 6 ]; do echo tick-$i; i=$((i+1)); sleep 0.4; done'], { dc: 'ticker' });
    const started = Date.now();
    const r = await h.berth(['logs', '-f', `pod/${pod}`, '-n', P], 'victor');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('tick-0\ntick-1\ntick-2\ntick-3\ntick-4\ntick-5\n');
    // It waited for the lines still to come (started at most a line in).
    expect(Date.now() - started).toBeGreaterThan(1500);
  });

  it('--previous prints the container before the last restart', async () => {
    const pod = 'crashy-1-ccccc';
    await h.runPod(P, pod, ['/bin/sh', '-c', 'echo first-run; exit 1'], { dc: 'crashy' });
    for (let i = 0; i < 100 && (await h.pods.inspectPod(P, pod))?.state !== 'exited'; i++) await sleep(100);
    const refused = await h.berth(['logs', '--previous', `pod/${pod}`, '-n', P], 'victor');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no previous container');
    // A restart, as the pod sync does it: the pod's container again.
    const image = (await h.docker.getContainer(`berth-${P}_${pod}`).inspect()).Config.Image;
    await h.pods.ensurePod({ project: P, deployment: 'crashy', revision: 1, pod, image, env: [], ports: [], resources: { cpuMilli: 100, memoryBytes: 64 * 2 ** 20 }, command: ['/bin/sh', '-c', 'echo second-run; exec sleep 3600'], uid: projectUid(P) });
    expect(await h.berth(['logs', '--previous', `pod/${pod}`, '-n', P], 'victor')).toMatchObject({ code: 0, stdout: 'first-run\n' });
    for (let i = 0; i < 50 && !(await h.berth(['logs', `pod/${pod}`, '-n', P], 'victor')).stdout; i++) await sleep(100);
    expect(await h.berth(['logs', `pod/${pod}`, '-n', P], 'victor')).toMatchObject({ code: 0, stdout: 'second-run\n' });
    // The pod sync sees one container for the pod.
    expect((await h.pods.listPods()).filter((c) => c.pod === pod)).toHaveLength(1);
  });
});
