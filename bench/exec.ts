// `npm run bench -- exec [--n=30] [--json]`: streams into a running pod through the real API
// (Hono on Node, DynamoDB Local, WebSocket exec into a container on the local Docker Engine).
// - `berth exec POD -- true`, a new CLI process each time (what a user waits for), beside
//   `docker exec CONTAINER true` (the docker CLI straight to the engine: the floor), the same
//   exec as a WebSocket session from this process (the API's part without Node's start-up), and
//   `node -e 0` (Node's own start, which no CLI process goes under);
// - rsh keystroke echo: one byte typed into a shell's terminal until the terminal echoes it,
//   through the API beside the same shell attached straight to the engine (the floor);
// - port-forward throughput: a pod's TCP server sends `--mb` MB, read through `berth port-forward`
//   (in this process) beside a direct connection to the pod's address (the floor).
// Runs are interleaved so load on the machine falls on each alike.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import Docker from 'dockerode';
import WebSocket from 'ws';
import { ensureBuilderImages } from '../images/build.ts';
import { createApi } from '../shared/api/app.ts';
import { nodeStreams } from '../shared/api/node-websocket.ts';
import { DockerPods, removeOwnedContainers } from '../shared/fleet/docker-pods.ts';
import { projectUid } from '../shared/fleet/pod-container.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { CHANNEL, frame, unframe } from '../shared/streams/channels.ts';
import { startExec } from '../shared/fleet/docker-streams.ts';
import { run as runCli } from '../cli/program.ts';
import { ensureCliBundle } from '../scripts/bundle-cli.mjs';
import { benchStore } from './_users.ts';
import type { BenchResult } from './run.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'berth.js');
const P = `bench-${randomBytes(3).toString('hex')}`;
const POD = 'web-1-bench';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

function timedProcess(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`))));
  });
}

function openSession(url: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

/** One exec session from this process, until its status arrives. */
async function wsExec(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
  // Listening before the upgrade completes: the status of a quick command can come in the same
  // read as the upgrade's answer, and would be missed by a listener added after 'open'.
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d: Buffer) => unframe(d)?.channel === CHANNEL.status && resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  ws.close();
  return performance.now() - t0;
}

/** What the pod's TCP server on SOURCE_PORT sends each connection: `mb` MiB, then it closes. */
const SOURCE_PORT = 9100;
const sourceServer = (mb: number) =>
  `python3 -c "
import socketserver as s
block = bytes(1 << 20)
class H(s.BaseRequestHandler):
  def handle(self):
    for _ in range(${mb}): self.request.sendall(block)
s.ThreadingTCPServer.allow_reuse_address = True
s.ThreadingTCPServer(('0.0.0.0', ${SOURCE_PORT}), H).serve_forever()" &`;

/** Reads a connection to host:port to its end; MB/s. */
function download(host: string, port: number): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.on('data', (d: Buffer) => (bytes += d.byteLength));
    socket.once('error', reject);
    socket.once('close', () => resolve(bytes / 2 ** 20 / ((performance.now() - t0) / 1000)));
  });
}

/** Milliseconds from typing each of `keys` bytes into a terminal until it comes back. */
async function echoTimes(send: (key: string) => void, onOutput: (listener: (d: Buffer) => void) => void, keys: number): Promise<number[]> {
  let waiting: ((d: Buffer) => void) | undefined;
  onOutput((d) => waiting?.(d));
  await new Promise((r) => setTimeout(r, 500));
  const echoes: number[] = [];
  for (let i = 0; i < keys; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      waiting = (d) => d.includes(key) && resolve();
      send(key);
    });
    echoes.push(performance.now() - t0);
  }
  return echoes;
}

export async function run(args: string[]): Promise<BenchResult> {
  const n = Number(args.find((a) => a.startsWith('--n='))?.slice(4) ?? 30);
  const keys = Number(args.find((a) => a.startsWith('--keys='))?.slice(7) ?? 300);
  const mb = Number(args.find((a) => a.startsWith('--mb='))?.slice(5) ?? 256);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  await ensureCliBundle();
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  const engine = await startDynamoLocal({ port: await freePort() });
  const owner = `bench-exec-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-exec-'));
  let server: ReturnType<typeof serve> | undefined;
  try {
    const { store, identity } = await benchStore(engine.endpoint);
    const pods = new DockerPods(docker, { owner });
    const ws = nodeStreams();
    const app = createApi({ store, identity, streams: ws.streams, fleet: { containersFor: (h) => (h.metadata.name === 'local' ? pods : undefined) } });
    const port = await freePort();
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve());
      ws.attach(app, server);
    });
    const base = `http://127.0.0.1:${port}`;
    const env = { PATH: process.env.PATH, HOME: dir, BERTH_CONFIG: join(dir, 'config.json') };
    const berth = (...argv: string[]) => [process.execPath, bin, ...argv];
    await timedProcess(berth('login', base, '-u', 'dev', '-p', 'bench-dev-password'), env);
    await timedProcess(berth('new-project', P), env);
    const token = (await identity.login('dev', 'bench-dev-password')).token;
    await store.create({ kind: 'Host', metadata: { name: 'local', project: '' }, spec: { provider: 'docker', endpoint: '/var/run/docker.sock', address: '127.0.0.1', capacity: { cpu: '2', memory: '2Gi' }, unschedulable: false } });
    const command = ['/bin/sh', '-c', `${sourceServer(mb)} exec sleep 36000`];
    await store.create({ kind: 'Pod', metadata: { name: POD, project: P, labels: { deploymentconfig: 'web' } }, spec: { host: 'local', containers: [{ name: 'web', image, command }] }, status: { phase: 'Running', conditions: [] } } as never);
    const running = await pods.ensurePod({ project: P, deployment: 'web', revision: 1, pod: POD, image, env: [], ports: [], resources: { cpuMilli: 500, memoryBytes: 128 * 2 ** 20 }, command, uid: projectUid(P) });

    const execUrl = `${base.replace('http', 'ws')}/api/v1/projects/${P}/pods/${POD}/exec?command=true`;
    const measures: [string, () => Promise<number>][] = [
      ['docker exec CONTAINER true (floor)', () => timedProcess(['docker', 'exec', running.containerId, 'true'], process.env)],
      ['berth exec POD -- true', () => timedProcess(berth('exec', POD, '--', 'true'), env)],
      ['exec -- true as a WebSocket session (no CLI start-up)', () => wsExec(execUrl, token)],
      ['node -e 0 (Node\'s start, no CLI)', () => timedProcess([process.execPath, '-e', '0'], env)],
    ];
    const say = (what: string) => process.stderr.write(`${what}\n`);
    say('exec round trips…');
    const times = new Map<string, number[]>(measures.map(([name]) => [name, []]));
    for (const [name, m] of measures) {
      say(`  warming up: ${name}`);
      await m();
    }
    for (let i = 0; i < n; i++) for (const [name, m] of measures) times.get(name)!.push(await m());

    // Keystroke echo: a shell on a terminal (stty echo), one byte at a time; through the API,
    // then the same shell attached to the engine from here (the floor).
    say('keystroke echo…');
    const tty = await openSession(`${base.replace('http', 'ws')}/api/v1/projects/${P}/pods/${POD}/exec?command=sh&stdin=1&tty=1`, token);
    const echoes = await echoTimes(
      (key) => tty.send(frame(CHANNEL.stdin, key)),
      (listener) =>
        tty.on('message', (d: Buffer) => {
          const m = unframe(d);
          if (m?.channel === CHANNEL.stdout) listener(m.data);
        }),
      keys,
    );
    tty.close();
    say('keystroke echo, attached to the engine…');
    const direct = await startExec(docker, await docker.getContainer(running.containerId).inspect(), { command: ['sh'], stdin: true, tty: true });
    const directEchoes = await echoTimes((key) => direct.write(Buffer.from(key)), (listener) => direct.stdout.on('data', listener), keys);
    direct.close();

    // Port-forward throughput: the pod's source read straight from its address, and through
    // `berth port-forward` (the CLI in this process, its listener on a free local port).
    say('port-forward throughput…');
    const info = await docker.getContainer(running.containerId).inspect();
    const address = Object.values(info.NetworkSettings.Networks)[0]!.IPAddress;
    const abort = new AbortController();
    let out = '';
    const forwarding = runCli(['port-forward', POD, `:${SOURCE_PORT}`], { stdout: { write: (t: string) => (out += t) }, stderr: process.stderr, env, signal: abort.signal });
    for (let i = 0; i < 400 && !/127\.0\.0\.1:(\d+)/.test(out); i++) await new Promise((r) => setTimeout(r, 25));
    const localPort = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    if (!localPort) throw new Error(`port-forward did not start: ${out}`);
    const rates = { direct: [] as number[], tunnel: [] as number[] };
    await download(address, SOURCE_PORT);
    await download('127.0.0.1', localPort);
    for (let i = 0; i < 3; i++) {
      rates.direct.push(await download(address, SOURCE_PORT));
      rates.tunnel.push(await download('127.0.0.1', localPort));
    }
    abort.abort();
    await forwarding;

    const floor = pct(times.get(measures[0]![0])!, 50);
    const rows = [
      ...[...times].map(([what, xs]) => ({ what, runs: xs.length, 'p50 ms': +pct(xs, 50).toFixed(1), 'p99 ms': +pct(xs, 99).toFixed(1), '× docker exec': +(pct(xs, 50) / floor).toFixed(2) })),
      { what: 'rsh keystroke echo, through the API', runs: echoes.length, 'p50 ms': +pct(echoes, 50).toFixed(2), 'p99 ms': +pct(echoes, 99).toFixed(2), '× docker exec': +(pct(echoes, 99) / pct(directEchoes, 99)).toFixed(2) },
      { what: 'keystroke echo, attached to the engine (floor)', runs: directEchoes.length, 'p50 ms': +pct(directEchoes, 50).toFixed(2), 'p99 ms': +pct(directEchoes, 99).toFixed(2), '× docker exec': 1 },
    ];
    const median = (xs: number[]) => pct(xs, 50);
    const throughput = [
      { what: `port-forward, ${mb} MiB from the pod (median of 3)`, 'MB/s': +median(rates.tunnel).toFixed(0), '× direct': +(median(rates.tunnel) / median(rates.direct)).toFixed(2) },
      { what: 'direct TCP to the pod address (floor)', 'MB/s': +median(rates.direct).toFixed(0), '× direct': 1 },
    ];
    const fig = (name: string, p: number) => +pct(times.get(name)!, p).toFixed(1);
    return {
      rows: [...rows, ...throughput],
      notes: [`exec round trips into one pod container, ${n} runs each (interleaved); keystroke echo over ${keys} keys (the × column of the echo rows: p99 over the floor's p99); port-forward reads of ${mb} MiB`],
      figures: {
        docker_exec_p50_ms: fig(measures[0]![0], 50),
        berth_exec_p50_ms: fig(measures[1]![0], 50),
        berth_exec_p99_ms: fig(measures[1]![0], 99),
        ws_exec_p50_ms: fig(measures[2]![0], 50),
        ws_exec_p99_ms: fig(measures[2]![0], 99),
        berth_exec_vs_docker_exec: +(fig(measures[1]![0], 50) / floor).toFixed(2),
        node_p50_ms: fig(measures[3]![0], 50),
        // What the CLI adds to Node's start and the API's session: loading, parsing, exiting.
        cli_overhead_p50_ms: +(fig(measures[1]![0], 50) - fig(measures[2]![0], 50) - fig(measures[3]![0], 50)).toFixed(1),
        echo_p50_ms: +pct(echoes, 50).toFixed(2),
        echo_p99_ms: +pct(echoes, 99).toFixed(2),
        echo_floor_p99_ms: +pct(directEchoes, 99).toFixed(2),
        echo_p99_vs_floor: +(pct(echoes, 99) / pct(directEchoes, 99)).toFixed(2),
        port_forward_mb_s: +median(rates.tunnel).toFixed(0),
        direct_tcp_mb_s: +median(rates.direct).toFixed(0),
        port_forward_vs_direct: +(median(rates.tunnel) / median(rates.direct)).toFixed(2),
      },
    };
  } finally {
    await removeOwnedContainers(docker, owner);
    server?.close();
    await engine.stop();
  }
}
