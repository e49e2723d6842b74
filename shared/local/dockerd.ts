// Makes sure a Docker Engine is answering on the local socket, starting `dockerd` when none is,
// with the network rule Berth keeps: no iptables, no IP forwarding, so containers have no route
// out of the machine while ports published on 127.0.0.1 still work.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from './dynamodb-local.ts';

export const DOCKER_SOCKET = '/var/run/docker.sock';

export const DOCKERD_ARGS = ['--iptables=false', '--ip-forward=false', '--ip-masq=false', `--host=unix://${DOCKER_SOCKET}`];

/** True when an engine answers `GET /_ping` on the socket. */
export function dockerPing(socketPath = DOCKER_SOCKET): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Keeps net.ipv4.ip_forward at 0 (containers must not reach beyond the machine). */
export function ensureNoForwarding(say: (line: string) => void): void {
  const path = '/proc/sys/net/ipv4/ip_forward';
  try {
    if (readFileSync(path, 'utf8').trim() !== '0') {
      say('setting net.ipv4.ip_forward=0 so that containers have no route out of the machine');
      writeFileSync(path, '0');
    }
  } catch {
    // Not Linux, or not allowed: dockerd's own flags still keep forwarding off.
  }
}

export interface DockerdHandle {
  /** The dockerd this call started, or undefined when one was already running. */
  process?: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts dockerd unless an engine already answers. `detached` leaves a started engine running
 * after this process exits (test runs share it); otherwise the caller stops it.
 */
export async function ensureDockerd(opts: { say: (line: string) => void; detached?: boolean; logFile?: string }): Promise<DockerdHandle> {
  ensureNoForwarding(opts.say);
  if (await dockerPing()) return { stop: async () => undefined };
  if (spawnSync('dockerd', ['--version']).status !== 0) throw new Error('dockerd is not installed (Debian package docker.io)');
  opts.say(`starting dockerd ${DOCKERD_ARGS.join(' ')}`);
  const child = spawn('dockerd', DOCKERD_ARGS, { stdio: 'ignore', detached: opts.detached ?? false });
  if (opts.detached) child.unref();
  const deadline = Date.now() + 60_000;
  while (!(await dockerPing())) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with code ${child.exitCode}; see \`dockerd ${DOCKERD_ARGS.join(' ')}\` run by hand`);
    if (Date.now() > deadline) throw new Error('dockerd did not answer within 60 s');
    await sleep(200);
  }
  return { process: child, stop: () => stopChild(child, 20_000) };
}
