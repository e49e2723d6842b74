// `npm run bench -- cli [--n=15] [--json]`: how long the `berth` command takes to answer and how
// much memory it needs, as a user runs it (`node bin/berth.js …`, a new process each time),
// side by side in the same run with `node -e 0`, the floor no Node program starts under. The
// API is the real one (Hono app over DynamoDB Local) on loopback, in this process; the runs are
// interleaved so that load on the machine falls on every command alike.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createApi } from '../shared/api/app.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { ensureCliBundle } from '../scripts/bundle-cli.mjs';
import { benchStore } from './_users.ts';
import type { BenchResult } from './run.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'berth.js');
/** GNU time reports the child's peak resident set size (`%M`, KiB); without it RSS is not measured. */
const GNU_TIME = '/usr/bin/time';
const PODS = 10;

interface Run {
  ms: number;
  mib: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Runs `argv` once; wall time from spawn to exit, peak RSS through GNU time. Fails on a non-zero exit. */
async function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const rssFile = join(tmpdir(), `berth-bench-rss-${process.pid}`);
  const withTime = existsSync(GNU_TIME);
  const [cmd, ...args] = withTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv] : argv;
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (c) => resolve({ code: c, stderr: err }));
  });
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr}`);
  const mib = withTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : NaN;
  return { ms, mib };
}

export async function run(args: string[]): Promise<BenchResult> {
  const n = Number(args.find((a) => a.startsWith('--n='))?.slice(4) ?? 15);
  const tsxRuns = Number(args.find((a) => a.startsWith('--tsx='))?.slice(6) ?? 5);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Measure the bundle the sources make now, as `npm test` and `npm run up` would.
  await ensureCliBundle();
  const engine = await startDynamoLocal({ port: await freePort() });
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-cli-'));
  let server: { close(cb: () => void): void } | undefined;
  try {
    const { store, identity } = await benchStore(engine.endpoint);
    const app = createApi({ store, identity });
    const port = await freePort();
    await new Promise<void>((resolve) => (server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve())));

    const env = { PATH: process.env.PATH, HOME: dir, BERTH_CONFIG: join(dir, 'config.json') };
    const berth = (...argv: string[]) => [process.execPath, bin, ...argv];
    await timed(berth('login', `http://127.0.0.1:${port}`, '-u', 'dev', '-p', 'bench-dev-password'), env);
    await timed(berth('new-project', 'bench'), env);
    // Pods are made by controllers, never through the API: written to the store as they would.
    for (let i = 0; i < PODS; i++) {
      await store.create({
        kind: 'Pod',
        metadata: { name: `web-1-pod${i}`, project: 'bench', labels: { deploymentconfig: 'web' } },
        spec: { containers: [{ name: 'web', image: 'web:latest' }], host: 'local' },
        status: { phase: 'Running', restartCount: 0, conditions: [{ type: 'Ready', status: 'True' }], startTime: new Date().toISOString() },
      } as never);
    }

    const commands: [string, string[]][] = [
      ['node -e 0', [process.execPath, '-e', '0']],
      ['berth whoami', berth('whoami')],
      ['berth get pods', berth('get', 'pods')],
    ];
    const runs = new Map<string, Run[]>(commands.map(([name]) => [name, []]));
    // One of each first, not counted: the file system cache and DynamoDB Local's JIT warm up.
    for (const [, argv] of commands) await timed(argv, env);
    for (let i = 0; i < n; i++) for (const [name, argv] of commands) runs.get(name)!.push(await timed(argv, env));
    const tsxName = 'berth whoami through tsx (no bundle)';
    if (tsxRuns > 0) {
      runs.set(tsxName, []);
      const tsx = [process.execPath, '--import', 'tsx', join(root, 'cli', 'main.ts'), 'whoami'];
      for (let i = 0; i < tsxRuns; i++) runs.get(tsxName)!.push(await timed(tsx, env));
    }

    const nodeMs = median(runs.get('node -e 0')!.map((r) => r.ms));
    const rows = [...runs].map(([command, list]) => {
      const ms = median(list.map((r) => r.ms));
      return {
        command,
        runs: list.length,
        'median ms': Math.round(ms),
        'min ms': Math.round(Math.min(...list.map((r) => r.ms))),
        '× node -e 0': +(ms / nodeMs).toFixed(2),
        'median MiB': +median(list.map((r) => r.mib)).toFixed(1),
      };
    });
    const fig = (name: string, key: 'ms' | 'mib') => +median(runs.get(name)!.map((r) => r[key])).toFixed(1);
    return {
      notes: [
        `Each command a new process (${bin}), ${n} interleaved runs after one warm-up; wall time from spawn to exit, peak RSS by GNU time.`,
        `Against the API on loopback (Hono app → DynamoDB Local, in memory); get pods lists ${PODS} pods.`,
      ],
      rows,
      figures: {
        nodeMs: Math.round(nodeMs),
        nodeMiB: fig('node -e 0', 'mib'),
        whoamiMs: Math.round(fig('berth whoami', 'ms')),
        whoamiMiB: fig('berth whoami', 'mib'),
        getPodsMs: Math.round(fig('berth get pods', 'ms')),
        getPodsMiB: fig('berth get pods', 'mib'),
        whoamiOverNode: +(fig('berth whoami', 'ms') / nodeMs).toFixed(2),
        getPodsOverNode: +(fig('berth get pods', 'ms') / nodeMs).toFixed(2),
        ...(tsxRuns > 0 ? { tsxWhoamiMs: Math.round(fig(tsxName, 'ms')) } : {}),
      },
    };
  } finally {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
