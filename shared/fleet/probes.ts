// Readiness and liveness probes, as Kubernetes runs them: an HTTP GET answered with 2xx or 3xx,
// a TCP connection accepted, or a command that exits 0 inside the container, each within the
// probe's timeout. Probes go to the port the container port is published on (127.0.0.1 locally).
import { connect } from 'node:net';
import type { Probe } from '../model/deploy-kinds.ts';
import type { HostPort } from './types.ts';

export interface ProbeTarget {
  /** Where the host publishes the container's ports. */
  hostPorts: HostPort[];
  /** Runs a command in the container; absent where the fleet cannot (ECS). */
  exec?: (command: string[], timeoutMs: number) => Promise<{ exitCode: number }>;
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, for the pod's message and Events. */
  detail?: string;
}

function published(target: ProbeTarget, containerPort: number): HostPort | undefined {
  return target.hostPorts.find((p) => p.containerPort === containerPort);
}

async function httpGet(url: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { 'User-Agent': 'berth-probe/1' } });
    await res.arrayBuffer().catch(() => undefined);
    return res.status >= 200 && res.status < 400 ? { ok: true } : { ok: false, detail: `HTTP probe failed with statuscode: ${res.status}` };
  } catch (err) {
    return { ok: false, detail: `Get "${url}": ${(err as Error).message}` };
  }
}

/**
 * How long an accepted connection must stay open to count. A published port is served by the
 * engine's port proxy, which accepts at once and then closes the connection when nothing in the
 * container listens yet; a server that listens keeps the connection open waiting for a request.
 */
export const TCP_SETTLE_MS = 150;

function tcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    const refused = () => done({ ok: false, detail: `dial tcp ${host}:${port}: connection closed, nothing listens in the container` });
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => {
      socket.once('end', refused);
      socket.once('close', refused);
      setTimeout(() => done({ ok: true }), Math.min(TCP_SETTLE_MS, timeoutMs)).unref();
    });
    socket.once('error', (err) => done({ ok: false, detail: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

/**
 * Runs one probe once.
 * @example await runProbe({ httpGet: { path: '/healthz', port: 8080 }, timeoutSeconds: 1, ... }, { hostPorts })
 */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (probe.exec) {
    if (!target.exec) return { ok: false, detail: 'exec probes are not supported on this host; use httpGet or tcpSocket' };
    try {
      const { exitCode } = await target.exec(probe.exec.command, timeoutMs);
      return exitCode === 0 ? { ok: true } : { ok: false, detail: `command exited with ${exitCode}` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }
  const port = probe.httpGet?.port ?? probe.tcpSocket!.port;
  const hp = published(target, port);
  if (!hp) return { ok: false, detail: `port ${port} is not published by the container` };
  const host = hp.hostIp && hp.hostIp !== '0.0.0.0' ? hp.hostIp : '127.0.0.1';
  if (probe.httpGet) return httpGet(`http://${host}:${hp.hostPort}${probe.httpGet.path}`, timeoutMs);
  return tcp(host, hp.hostPort, timeoutMs);
}
