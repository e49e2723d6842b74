// Makes sure a Docker Engine is answering on the local socket, starting `dockerd` when none is,
// with the network rule Berth keeps: no iptables, no IP forwarding, so containers have no route
// out of the machine while ports published on 127.0.0.1 still work.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { stopChild } from './dynamodb-local.ts';

export const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * Every project has a network of its own on each engine: Docker's default pools hold about 30
 * networks, so the main engine takes its project networks' /24s from 10.192.0.0/13 (2,048).
 */
export const PROJECT_NETWORK_POOL = '--default-address-pool=base=10.192.0.0/13,size=24';

/** Extra engines are numbered 1 to 24: each has a pool of its own. */
export const EXTRA_ENGINES = 24;

/**
 * Engine `index`'s own pool (10.201.0.0/16 to 10.224.0.0/16), apart from the main engine's and
 * from its neighbours'. Docker's default pools are never used: they overlap the usual home and
 * office networks, and bridges left behind by engines of other runs soon fill them.
 */
export function extraEnginePool(index: number): string {
  return `--default-address-pool=base=${extraEngineNet(index)}.0.0/16,size=24`;
}

function extraEngineNet(index: number): string {
  return `10.${200 + index}`;
}

/**
 * Removes the bridges of engine `index`'s networks (Docker leaves a network's bridge up when its
 * engine stops), so that the next engine with this index finds its pool free. Only that engine's
 * pool is looked at: nothing else puts addresses there.
 */
function removeEngineBridges(index: number): void {
  const out = spawnSync('ip', ['-j', '-4', 'addr', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  if (out.status !== 0) return;
  const links = JSON.parse(out.stdout || '[]') as { ifname: string; addr_info?: { local?: string }[] }[];
  const prefix = `${extraEngineNet(index)}.`;
  for (const l of links) if (l.addr_info?.some((a) => a.local?.startsWith(prefix))) spawnSync('ip', ['link', 'del', l.ifname], { stdio: 'ignore' });
}

export const DOCKERD_ARGS = ['--iptables=false', '--ip-forward=false', '--ip-masq=false', PROJECT_NETWORK_POOL, `--host=unix://${DOCKER_SOCKET}`];

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
 * after this process exits (test runs share it); otherwise the caller stops it. `ownProcessGroup`
 * keeps a terminal's Ctrl-C from reaching it, so that the caller stops it after the pods.
 */
export async function ensureDockerd(opts: { say: (line: string) => void; detached?: boolean; ownProcessGroup?: boolean; logFile?: string }): Promise<DockerdHandle> {
  ensureNoForwarding(opts.say);
  if (await dockerPing()) return { stop: async () => undefined };
  if (spawnSync('dockerd', ['--version']).status !== 0) throw new Error('dockerd is not installed (Debian package docker.io)');
  opts.say(`starting dockerd ${DOCKERD_ARGS.join(' ')}`);
  const child = spawn('dockerd', DOCKERD_ARGS, { stdio: 'ignore', detached: (opts.detached || opts.ownProcessGroup) ?? false });
  if (opts.detached) child.unref();
  const deadline = Date.now() + 60_000;
  while (!(await dockerPing())) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with code ${child.exitCode}; see \`dockerd ${DOCKERD_ARGS.join(' ')}\` run by hand`);
    if (Date.now() > deadline) throw new Error('dockerd did not answer within 60 s');
    await sleep(200);
  }
  return { process: child, stop: () => stopChild(child, 20_000) };
}

export interface ExtraDockerd {
  socketPath: string;
  process: ChildProcess;
  /** Stops the engine (SIGTERM, then SIGKILL) and removes its bridge. */
  stop(): Promise<void>;
}

/**
 * Starts one more Docker Engine on this machine, to be one more local fleet host: its own socket,
 * data, exec root, pid file and bridge (`berth-br<index>`, 10.231.<index>.1/24), with the same
 * network rule as the main engine. Ports it publishes on 127.0.0.1 are reached as usual.
 * @example const e = await startExtraDockerd({ index: 2, root: '/var/lib/berth/engine-2', say: console.log })
 */
export async function startExtraDockerd(opts: { index: number; root: string; say: (line: string) => void }): Promise<ExtraDockerd> {
  const { index, root } = opts;
  if (!Number.isInteger(index) || index < 1 || index > EXTRA_ENGINES) throw new Error(`engine index ${index} is not between 1 and ${EXTRA_ENGINES}`);
  const bridge = `berth-br${index}`;
  const socketPath = `${root}/docker.sock`;
  const ip = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
  ip('link', 'del', bridge);
  removeEngineBridges(index);
  if (!ip('link', 'add', 'name', bridge, 'type', 'bridge') || !ip('addr', 'add', `10.231.${index}.1/24`, 'dev', bridge) || !ip('link', 'set', bridge, 'up')) {
    throw new Error(`could not create the bridge ${bridge} (needs root and iproute2)`);
  }
  mkdirSync(`${root}/data`, { recursive: true });
  mkdirSync(`${root}/exec`, { recursive: true });
  // Its own (empty) configuration, so that the main engine's daemon.json does not apply twice.
  writeFileSync(`${root}/daemon.json`, '{}\n');
  const args = [
    // The main engine's address pool is its own: another engine's networks must not overlap it.
    ...DOCKERD_ARGS.filter((a) => !a.startsWith('--host=') && a !== PROJECT_NETWORK_POOL),
    extraEnginePool(index),
    `--config-file=${root}/daemon.json`,
    `--host=unix://${socketPath}`,
    `--data-root=${root}/data`,
    `--exec-root=${root}/exec`,
    `--pidfile=${root}/docker.pid`,
    `--bridge=${bridge}`,
  ];
  opts.say(`starting dockerd ${args.join(' ')} (log: ${root}/dockerd.log)`);
  const log = openSync(`${root}/dockerd.log`, 'a');
  const child = spawn('dockerd', args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const stop = async () => {
    await stopChild(child, 20_000);
    ip('link', 'del', bridge);
    removeEngineBridges(index);
  };
  const deadline = Date.now() + 60_000;
  while (!(await dockerPing(socketPath))) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`dockerd (engine ${index}) exited with code ${child.exitCode}; see ${root}/dockerd.log`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd (engine ${index}) did not answer within 60 s`);
    }
    await sleep(200);
  }
  return { socketPath, process: child, stop };
}

/**
 * Copies an image from one engine to another (`docker save | docker load`, streamed), for images
 * that are in no registry. Pod images are registry references and are pulled instead.
 */
export async function copyImage(from: Docker, to: Docker, ref: string): Promise<void> {
  const tar = await from.getImage(ref).get();
  const out = (await to.loadImage(tar)) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    to.modem.followProgress(out, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`copying ${ref} between engines failed: ${failed}`));
      else resolve();
    });
  });
}
