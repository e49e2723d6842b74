// Runs a local engine that has no bind-address option (DynamoDB Local's Jetty listens on every
// interface) so that only this machine's loopback reaches it: the engine runs in a network
// namespace of its own holding nothing but `lo` (`unshare --net`, as root), and a pipe on
// 127.0.0.1:<port> in the machine's namespace reaches it through a unix socket (netns-main.ts
// joins that socket to the engine's port inside). Containers reach the host's addresses on their
// bridges, never its loopback, so no pod or build step can reach the engine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stopChild } from './child.ts';
import { startPipe } from './pipe.ts';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'netns-main.ts');

/** Why an engine cannot be given a network namespace of its own here, or undefined when it can. */
export function netnsProblem(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are a Linux feature';
  if (process.getuid?.() !== 0) return 'making a network namespace needs root (run as root, as `npm run up` asks)';
  for (const tool of ['unshare', 'setpriv', 'ip']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `\`${tool}\` is missing (Debian packages util-linux, iproute2)`;
  }
  const probe = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (probe.status !== 0) return `\`unshare --net\` failed: ${(probe.stderr || probe.error?.message || '').trim() || `exit code ${probe.status}`}`;
  return undefined;
}

export interface IsolatedEngine {
  /** The process in the namespace (netns-main, parent of the engine): it exits when the engine does. */
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface IsolatedEngineOptions {
  /** The engine's port inside its namespace, and the port of the pipe on 127.0.0.1 outside. */
  port: number;
  command: string;
  args: string[];
  cwd: string;
  stdio?: 'ignore' | 'inherit';
  /** Its own process group (the engine inherits it), so that a terminal's Ctrl-C reaches only the caller. */
  ownProcessGroup?: boolean;
  /** How long to wait for the namespace's socket to appear. */
  timeoutMs?: number;
}

/**
 * Starts `command` in a network namespace of its own and opens 127.0.0.1:`port` in this one onto
 * its port there. Readiness of the engine itself is the caller's to check (through the port).
 * @example const e = await startIsolatedEngine({ port: 7800, command: 'java', args, cwd })
 */
export async function startIsolatedEngine(opts: IsolatedEngineOptions): Promise<IsolatedEngine> {
  const problem = netnsProblem();
  if (problem) throw new Error(`cannot run ${opts.command} in a network namespace of its own: ${problem}`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-netns-'));
  const socketPath = join(dir, 'engine.sock');
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn('unshare', ['--net', '--', process.execPath, '--import', tsx, MAIN, socketPath, String(opts.port), opts.command, ...opts.args], {
    cwd: opts.cwd,
    stdio: opts.stdio ?? 'ignore',
    detached: opts.ownProcessGroup ?? false,
  });
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  child.once('exit', cleanUp);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!existsSync(socketPath)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${opts.command} in its network namespace exited with code ${child.exitCode} before it was ready`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.command}'s network namespace opened no socket within ${opts.timeoutMs ?? 30_000} ms`);
    }
    await sleep(50);
  }
  const pipe = await startPipe({ host: '127.0.0.1', port: opts.port }, { path: socketPath }).catch((err: unknown) => {
    child.kill('SIGTERM');
    throw err;
  });
  return {
    process: child,
    stop: async () => {
      await pipe.close();
      await stopChild(child);
      cleanUp();
    },
  };
}
