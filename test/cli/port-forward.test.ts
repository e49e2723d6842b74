// port-forward through the real API into a container on the real Docker Engine: local TCP
// connections reach the pod's ports over WebSockets, many at once and byte for byte both ways; a
// `view` member is refused before anything listens; a port nothing listens on closes the local
// connection with the reason on stderr; each connection is an event in the project.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/program.ts';
import { startPodHarness, type PodHarness } from './pod-harness.ts';

const P = `pf-${randomBytes(3).toString('hex')}`;
const POD = 'db-1-aaaaa';
/** An HTTP server on 8080 and a TCP echo server on 9000 (stdlib Python of the builder image). */
export const ECHO_AND_HTTP = [
  '/bin/sh',
  '-c',
  'python3 -m http.server 8080 --directory /tmp >/dev/null 2>&1 & exec python3 -c "' +
    'import socketserver as s\n' +
    'class H(s.BaseRequestHandler):\n' +
    '  def handle(self):\n' +
    '    while True:\n' +
    '      d = self.request.recv(65536)\n' +
    '      if not d: break\n' +
    '      self.request.sendall(d)\n' +
    's.ThreadingTCPServer.allow_reuse_address = True\n' +
    's.ThreadingTCPServer((\'0.0.0.0\', 9000), H).serve_forever()"',
];
let h: PodHarness;

/** Waits until both servers of the pod listen: Python binds them a moment after its container starts (longer on a loaded machine). */
async function listening(containerId: string): Promise<void> {
  const container = h.docker.getContainer(containerId);
  for (let i = 0; i < 300; i++) {
    const exec = await container.exec({ Cmd: ['python3', '-c', "import socket\nfor p in (8080, 9000): socket.create_connection(('127.0.0.1', p), 1).close()"], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    await new Promise((resolve) => (stream.on('end', resolve), stream.resume()));
    if ((await exec.inspect()).ExitCode === 0) return;
    await sleep(100);
  }
  throw new Error('the pod never listened on 8080 and 9000');
}

beforeAll(async () => {
  h = await startPodHarness();
  await h.projectWithViewer(P);
  await listening((await h.runPod(P, POD, ECHO_AND_HTTP, { dc: 'db' })).containerId);
}, 600_000);

afterAll(async () => {
  await h?.stop();
});

interface Forwarding {
  ports: number[];
  stderr: () => string;
  stop(): Promise<number>;
}

/** Starts `berth port-forward ...argv` in-process as `as`; resolves once it printed every listener. */
async function forward(argv: string[], as: string, listeners: number): Promise<Forwarding | { code: number; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const abort = new AbortController();
  const done = run(['port-forward', ...argv], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { BERTH_CONFIG: h.configFile(as), HOME: '/tmp' }, signal: abort.signal });
  let code: number | undefined;
  void done.then((c) => (code = c));
  const ports = () => [...stdout.matchAll(/^Forwarding from 127\.0\.0\.1:(\d+) -> \d+$/gm)].map((m) => Number(m[1]));
  for (let i = 0; i < 200 && code === undefined && ports().length < listeners; i++) await sleep(25);
  if (code !== undefined) return { code, stderr };
  return {
    ports: ports(),
    stderr: () => stderr,
    stop: () => {
      abort.abort();
      return done;
    },
  };
}

/** Sends `data` over a connection to 127.0.0.1:port, ends its side, and resolves with all that came back. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('data', (d) => {
      chunks.push(d);
      if (Buffer.concat(chunks).length >= data.length) socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.write(data);
    if (data.length === 0) socket.end();
  });
}

describe('berth port-forward', () => {
  it('tunnels many connections at once to two ports of the pod, byte for byte', async () => {
    const f = await forward(['dc/db', ':8080', ':9000', '-n', P], 'alice', 2);
    if (!('ports' in f)) throw new Error(`port-forward ended: ${f.stderr}`);
    const [http, echo] = f.ports as [number, number];
    try {
      const gets = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${http}/`).then((r) => r.status)));
      expect(gets).toEqual(Array(20).fill(200));
      const blobs = Array.from({ length: 4 }, () => randomBytes(2 * 2 ** 20));
      const back = await Promise.all(blobs.map((b) => roundTrip(echo, b)));
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(back.map(sha)).toEqual(blobs.map(sha));
      expect(f.stderr()).toBe('');
    } finally {
      expect(await f.stop()).toBe(0);
    }
  });

  it('closes the local connection of a port nothing listens on, saying why', async () => {
    const f = await forward([POD, ':7000', '-n', P], 'alice', 1);
    if (!('ports' in f)) throw new Error(`port-forward ended: ${f.stderr}`);
    try {
      expect((await roundTrip(f.ports[0]!, Buffer.from('hello'))).length).toBe(0);
      for (let i = 0; i < 50 && !f.stderr(); i++) await sleep(20);
      expect(f.stderr()).toMatch(/^error: forwarding port \d+ -> 7000: nothing answers on port 7000 of pod db-1-aaaaa: ECONNREFUSED\n$/);
    } finally {
      await f.stop();
    }
  });

  it('a view member is refused before anything listens', async () => {
    const r = await forward([POD, '15432:9000', '-n', P], 'victor', 1);
    expect(r).toMatchObject({ code: 1 });
    expect((r as { stderr: string }).stderr).toContain('cannot create objects');
    await expect(roundTrip(15432, Buffer.from('x'))).rejects.toThrow(/ECONNREFUSED/);
  });

  it.each([['0:80'], ['80:70000'], ['abc'], ['1:2:3']])('refuses the port pair %s as a usage error', async (pair) => {
    const r = await h.berth(['port-forward', POD, pair, '-n', P], 'alice');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`"${pair}" is not a port pair`);
  });

  it('each connection is an event in the project', async () => {
    const r = await h.berth(['get', 'events', '-n', P, '-o', 'json'], 'victor');
    const events = JSON.parse(r.stdout).items as { spec: { reason: string; message: string; involvedObject: { name: string } } }[];
    const forwards = events.filter((e) => e.spec.reason === 'PortForward');
    expect(forwards.map((e) => e.spec.message)).toContain('user "alice" port-forward: port 9000');
    expect(forwards.every((e) => e.spec.involvedObject.name === POD)).toBe(true);
    expect(forwards.some((e) => e.spec.message.includes('victor'))).toBe(false);
  });
});
