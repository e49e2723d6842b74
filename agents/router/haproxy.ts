// The HAProxy process in master-worker mode: started once, reloaded through the master CLI
// (the master hands the listening sockets to the new worker, so no connection is refused), and
// changed at run time through the admin socket of the current worker.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);

/** Sends one command line to a UNIX socket and returns everything it answers. */
export function socketCommand(path: string, line: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let out = '';
    const timer = setTimeout(() => sock.destroy(new Error(`no answer from ${path} within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.end(`${line}\n`));
    sock.on('data', (d: string) => (out += d));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

export interface HaproxyOptions {
  bin: string;
  /** Where the sockets live. */
  dir: string;
  /** The directory holding haproxy.cfg (a symlink the agent swaps between generations). */
  current: string;
  logger?: Logger;
  /** Called when HAProxy exits by itself (a crash, or its worker's), not through stop(). */
  onExit?: (why: string) => void;
}

export class Haproxy {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;
  readonly masterSocket: string;
  readonly adminSocket: string;

  constructor(private readonly opts: HaproxyOptions) {
    this.masterSocket = join(opts.dir, 'master.sock');
    this.adminSocket = join(opts.dir, 'admin.sock');
  }

  /** `haproxy -c` on a configuration directory; the error text when it is refused. */
  async check(cfgDir: string): Promise<string | undefined> {
    try {
      await run(this.opts.bin, ['-c', '-C', cfgDir, '-f', 'haproxy.cfg'], { maxBuffer: 16 << 20 });
      return undefined;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      return (e.stderr || e.stdout || e.message).trim();
    }
  }

  async start(): Promise<void> {
    // Its own process group: a Ctrl-C in the terminal goes to the agent (and `npm run up`), which
    // stop HAProxy themselves, instead of killing it under them (which looked like a crash).
    const child = spawn(this.opts.bin, ['-W', '-S', `${this.masterSocket},mode,600`, '-C', this.opts.current, '-f', 'haproxy.cfg'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
      this.opts.logger?.debug({ haproxy: d.trim() }, 'haproxy');
    });
    this.stopping = false;
    let started = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve();
        if (started && !this.stopping && this.child === child) this.opts.onExit?.(`haproxy exited (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }),
    );
    const deadline = Date.now() + 15_000;
    while (!(await this.workerPid())) {
      if (child.exitCode !== null) throw new Error(`haproxy exited at start: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`haproxy did not start within 15 s: ${stderr.trim()}`);
      await sleep(50);
    }
    started = true;
  }

  /** The pid of the current worker, from the master CLI (undefined while there is none). */
  async workerPid(): Promise<number | undefined> {
    const out = await socketCommand(this.masterSocket, 'show proc', 2000).catch(() => '');
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('# workers'));
    const first = at >= 0 ? lines[at + 1]?.trim().split(/\s+/) : undefined;
    return first && first[1] === 'worker' ? Number(first[0]) : undefined;
  }

  /** Reloads hitlessly and waits until the new worker serves. */
  async reload(): Promise<void> {
    const before = await this.workerPid();
    await socketCommand(this.masterSocket, 'reload').catch(() => '');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await this.workerPid();
      if (now && now !== before) return;
      if (Date.now() > deadline) throw new Error('haproxy did not start a new worker within 30 s of a reload');
      await sleep(20);
    }
  }

  /** Runs Runtime API commands on the current worker; the answers that report a problem. */
  async runtime(commands: string[]): Promise<string[]> {
    const problems: string[] = [];
    for (let i = 0; i < commands.length; i += 200) {
      const out = await socketCommand(this.adminSocket, commands.slice(i, i + 200).join(';'));
      // `set server … addr` reports what it changed; anything else is a refusal.
      for (const line of out.split('\n').map((l) => l.trim())) if (line && !/changed from|no need to change/i.test(line)) problems.push(line);
    }
    return problems;
  }

  /** `show stat` of every backend (CSV), from the current worker. */
  async stat(): Promise<string> {
    return socketCommand(this.adminSocket, 'show stat -1 2 -1');
  }

  /** RSS of the master and its workers, in bytes (Linux /proc). */
  async memoryBytes(): Promise<number> {
    const out = await socketCommand(this.masterSocket, 'show proc', 30_000);
    const pids = out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0] ?? '') && (f[1] === 'master' || f[1] === 'worker')).map((f) => f[0]);
    let total = 0;
    const { readFile } = await import('node:fs/promises');
    for (const pid of pids) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (kb) total += Number(kb) * 1024;
    }
    return total;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killed = await Promise.race([this.exited!.then(() => true), sleep(10_000).then(() => false)]);
    if (!killed) this.child.kill('SIGKILL');
    await this.exited;
  }
}
