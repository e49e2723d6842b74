// Launches the builder agent as a local process (the all-in-one platform). The agent id is
// `local:<pid>`; a process that is gone, or is no longer a builder, counts as not running.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stopChild } from '../local/dynamodb-local.ts';
import type { ObjectRef } from '../model/types.ts';
import type { BuildLauncher } from './ports.ts';

export interface LocalLauncherOptions {
  /** argv of the agent, e.g. [process.execPath, '--import', 'tsx', 'agents/builder/main.ts']. */
  command: string[];
  /** Environment for the agent (table, endpoints, registry, PAAS_HOME). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the agent's own stdout/stderr go (its build log goes to BuildLogs). */
  onOutput?: (build: ObjectRef, text: string) => void;
  /** Called once the agent has exited, e.g. to clean up after one that was killed. */
  onExit?: (build: ObjectRef, how: { code: number | null; signal: NodeJS.Signals | null }) => Promise<void> | void;
}

const MARKER = 'agents/builder';

export class LocalProcessLauncher implements BuildLauncher {
  private readonly children = new Map<number, ChildProcess>();

  constructor(private readonly opts: LocalLauncherOptions) {}

  /** How many agents this launcher started are running now. */
  get active(): number {
    return this.children.size;
  }

  async launch(build: ObjectRef): Promise<string> {
    const [cmd, ...args] = this.opts.command;
    const child = spawn(cmd!, args, {
      cwd: this.opts.cwd,
      env: { ...this.opts.env, BUILD_PROJECT: build.project, BUILD_NAME: build.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error('the builder agent could not be started');
    const pid = child.pid;
    this.children.set(pid, child);
    child.stdout!.on('data', (d: Buffer) => this.opts.onOutput?.(build, d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.opts.onOutput?.(build, d.toString()));
    child.once('exit', (code, signal) => {
      this.children.delete(pid);
      void Promise.resolve(this.opts.onExit?.(build, { code, signal })).catch(() => undefined);
    });
    return `local:${pid}`;
  }

  async running(agent: string): Promise<boolean> {
    const pid = pidOf(agent);
    if (pid === undefined) return false;
    const child = this.children.get(pid);
    if (child) return child.exitCode === null && child.signalCode === null;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MARKER);
    } catch {
      return false;
    }
  }

  async stop(agent: string): Promise<void> {
    const pid = pidOf(agent);
    if (pid === undefined || !(await this.running(agent))) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }

  /** Stops every agent this launcher started (platform shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.children.values()].map((c) => stopChild(c, 10_000)));
  }
}

function pidOf(agent: string): number | undefined {
  const m = /^local:(\d+)$/.exec(agent);
  return m ? Number(m[1]) : undefined;
}
