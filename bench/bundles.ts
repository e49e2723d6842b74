// `npm run bench -- bundles [--reps N]`: each Lambda bundle's size, and the time a fresh Node
// process takes to load it cold (the module-evaluation part of a Lambda cold start). Bundled with
// the very esbuild options the CDK app ships (infra/bundling.ts), one function per line of
// infra/functions.ts. The import runs with a table name and a region only: no credentials, and
// nothing may be reached, so an entry that calls AWS at import time shows up as an error here.
// For the API, the same process then serves its first requests (API Gateway HTTP API events that
// need no AWS call), so that work put off from the import to the first request is counted too.
// Aim (issue 6): the API bundle under 1.5 MB and under 150 ms to load (the import, with source
// maps as Lambda runs it). Also shown against 150 ms: the import and the first requests together.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptions } from '../infra/bundling.ts';
import { FUNCTIONS } from '../infra/functions.ts';
import type { BenchResult } from './run.ts';

const exec = promisify(execFile);
const AIM = { apiBytes: 1.5 * 1024 * 1024, apiLoadMs: 150 };
/**
 * The variables the stack gives the functions (infra/access.ts), with stand-in values, and no
 * credentials; AWS_EC2_METADATA_DISABLED keeps the SDK off the network. The SDK warns on Node 20
 * (this machine) at load, never on Lambda's Node 22: silenced. (test/infra/bundling.test.ts loads
 * each bundle with exactly its function's variables from the template.)
 */
const ARN = 'arn:aws:iam::123456789012:role/berth-bench';
const LOAD_ENV = {
  AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TABLE_NAME: 'berth-bench', BERTH_APPS_DOMAIN: 'apps.berth.invalid', BERTH_SECRETS_KEY_ARN: ARN, BERTH_ADMIN_SECRET_ARN: ARN,
  BERTH_CLUSTER: 'berth-bench', BERTH_BUILD_CAPACITY_PROVIDER: 'berth-bench-build', BERTH_BUILDER_TASK_DEFINITION: 'berth-builder',
  BERTH_POD_FAMILY_PREFIX: 'berth-pod-', BERTH_POD_ROLE_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/berth/boundary', BERTH_POD_LOG_GROUP: 'berth-bench-pods',
  BERTH_REGISTRY: '123456789012.dkr.ecr.us-east-1.amazonaws.com', BERTH_REPOSITORY_PREFIX: 'berth',
  BERTH_SOURCES_BUCKET: 'berth-bench-sources', BERTH_BUILDER_IMAGES: 'python=123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/s2i/python:latest',
  BERTH_BUILD_SCOPE_ROLE_ARN: ARN, BERTH_TENANT_HOSTS_GROUP: 'berth-bench-tenant-hosts',
  BERTH_POD_SUBNETS: 'subnet-0a1b2c3d,subnet-4e5f6a7b', BERTH_VPC_ID: 'vpc-0a1b2c3d', BERTH_ROUTERS_SECURITY_GROUP: 'sg-0a1b2c3d',
};

/** An API Gateway HTTP API (payload v2) event, as the API function's `$default` route gets it. */
function httpApiEvent(method: string, path: string): Record<string, unknown> {
  const headers = { host: 'api.berth.invalid', 'user-agent': 'berth-bench', accept: 'application/json' };
  return {
    version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers, isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012', apiId: 'bench', domainName: headers.host, domainPrefix: 'api', requestId: 'bench', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] },
    },
  };
}

interface FirstRequest {
  method: string;
  path: string;
  /** The status it must get. */
  status: number;
}

/**
 * The first requests a function serves after its import: a public route, and a protected one
 * refused for want of a token. Neither reaches DynamoDB. The API's first-administrator bootstrap
 * (a DynamoDB read at the first request of every cold start) is left out by not naming the admin
 * secret, as nothing here may call AWS.
 */
const FIRST_REQUESTS: Record<string, FirstRequest[]> = {
  api: [
    { method: 'GET', path: '/healthz', status: 200 },
    { method: 'GET', path: '/api/v1/projects', status: 401 },
  ],
};
const { BERTH_ADMIN_SECRET_ARN: _adminSecret, ...REQUESTS_ENV } = LOAD_ENV;

interface Load {
  importMs: number;
  /** The import and then the first requests, one after the other (when the function has them). */
  firstRequestMs?: number;
  processMs: number;
}

/** One cold load in a fresh process: the import (and first requests) timed inside it, and the whole process from outside. */
async function loadOnce(file: string, sourceMaps: boolean, requests: FirstRequest[] = []): Promise<Load> {
  const script = [
    'const t = process.hrtime.bigint();',
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const ms = Number(process.hrtime.bigint() - t) / 1e6;',
    "if (typeof m.handler !== 'function') throw new Error('no handler export');",
    `const requests = ${JSON.stringify(requests.map((r) => ({ event: httpApiEvent(r.method, r.path), status: r.status })))};`,
    "const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 15000 };",
    'for (const { event, status } of requests) {',
    '  const res = await m.handler(event, context);',
    '  if (res?.statusCode !== status) throw new Error(`${event.rawPath}: status ${res?.statusCode}, expected ${status}: ${res?.body}`);',
    '}',
    'const firstRequestMs = requests.length ? Number(process.hrtime.bigint() - t) / 1e6 : undefined;',
    'console.log(JSON.stringify({ ms, firstRequestMs }));',
  ].join('\n');
  const started = process.hrtime.bigint();
  const { stdout } = await exec(process.execPath, [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, ...(requests.length ? REQUESTS_ENV : LOAD_ENV) },
    timeout: 30_000,
  });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as { ms: number; firstRequestMs?: number };
  return { importMs: out.ms, firstRequestMs: out.firstRequestMs, processMs };
}

/** The five packages (or source folders) that put the most bytes into a bundle. */
function largestPackages(inputs: Record<string, { bytesInOutput: number }>): string {
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1]! : path.split('/').slice(0, 2).join('/');
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${Math.round(v / 1024)} KB`).join(', ');
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, places = 1) => Number(x.toFixed(places));

export async function run(args: string[]): Promise<BenchResult> {
  const repsAt = args.indexOf('--reps');
  const reps = repsAt >= 0 ? Math.max(1, Number(args[repsAt + 1]) || 7) : 7;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bundles-'));
  const rows: BenchResult['rows'] = [];
  const figures: BenchResult['figures'] = {};
  const largest: Record<string, string> = {};
  try {
    for (const fn of FUNCTIONS) {
      const outfile = join(dir, fn.name, 'index.mjs');
      const started = process.hrtime.bigint();
      const { metafile } = await build({ ...esbuildOptions(fn.entry, outfile), metafile: true });
      largest[fn.name] = largestPackages(metafile.outputs[Object.keys(metafile.outputs).find((o) => o.endsWith('index.mjs'))!]!.inputs);
      const bundleMs = Number(process.hrtime.bigint() - started) / 1e6;
      const bytes = statSync(outfile).size;
      const mapBytes = statSync(`${outfile}.map`).size;
      const row: Record<string, string | number> = { function: fn.name, entry: fn.entry, bytes, MB: round(bytes / 2 ** 20, 3), 'map MB': round(mapBytes / 2 ** 20, 2), 'esbuild ms': Math.round(bundleMs) };
      figures[`${fn.name}_bytes`] = bytes;
      const requests = FIRST_REQUESTS[fn.name] ?? [];
      try {
        await loadOnce(outfile, false, requests); // warm the file cache, not the process: each load is a new process
        const plain: Load[] = [];
        const mapped: Load[] = [];
        for (let i = 0; i < reps; i++) {
          plain.push(await loadOnce(outfile, false, requests));
          mapped.push(await loadOnce(outfile, true, requests));
        }
        Object.assign(row, {
          'import ms (p50)': round(median(plain.map((l) => l.importMs))),
          'import ms, source maps (p50)': round(median(mapped.map((l) => l.importMs))),
          'import + first requests ms, source maps (p50)': requests.length ? round(median(mapped.map((l) => l.firstRequestMs!))) : '',
          'process ms, source maps (p50)': round(median(mapped.map((l) => l.processMs))),
        });
        figures[`${fn.name}_import_ms`] = row['import ms (p50)']!;
        figures[`${fn.name}_import_sourcemaps_ms`] = row['import ms, source maps (p50)']!;
        if (requests.length) figures[`${fn.name}_first_request_sourcemaps_ms`] = row['import + first requests ms, source maps (p50)']!;
        figures[`${fn.name}_process_sourcemaps_ms`] = row['process ms, source maps (p50)']!;
      } catch (err) {
        row.error = String((err as { stderr?: string }).stderr || err).split('\n').find((l) => /Error/.test(l)) ?? String(err);
        figures[`${fn.name}_error`] = row.error;
      }
      rows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const apiBytes = Number(figures.api_bytes);
  figures.api_aim_met = apiBytes < AIM.apiBytes && Number(figures.api_import_sourcemaps_ms) < AIM.apiLoadMs ? 'yes' : 'no';
  figures.api_first_request_under_aim = Number(figures.api_first_request_sourcemaps_ms) < AIM.apiLoadMs ? 'yes' : 'no';
  return {
    rows,
    figures,
    notes: [
      `Lambda bundles (esbuild ${(await import('esbuild')).version}, ESM, minified, target node22, everything bundled incl. the AWS SDK).`,
      `Load: median of ${reps} fresh \`node\` processes on this machine (Node ${process.versions.node}, ${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at the end); Lambda runs nodejs22.x on arm64.`,
      "'import ms' is the module evaluation timed inside the process; 'process ms' adds Node's own start-up.",
      `'import + first requests' (API): the import, then ${FIRST_REQUESTS.api!.map((r) => `${r.method} ${r.path} (${r.status})`).join(' and ')} through the handler in the same process, as API Gateway HTTP API events.`,
      'Lambda sets NODE_OPTIONS=--enable-source-maps, so the source-map column is the one to compare with the aim.',
      ...Object.entries(largest).map(([name, top]) => `Largest parts of ${name}: ${top}.`),
      `Aim: API bundle under ${AIM.apiBytes / 2 ** 20} MB and under ${AIM.apiLoadMs} ms to load (import, source maps): ${figures.api_aim_met}; import and first requests under ${AIM.apiLoadMs} ms too: ${figures.api_first_request_under_aim}.`,
    ],
  };
}
