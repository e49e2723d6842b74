// `npm run bench -- api`: latency of API operations through the local stack (HTTP server on
// loopback, the Hono app, DynamoDB Local) and the DynamoDB capacity units each consumes, as
// DynamoDB reports them (ReturnConsumedCapacity=TOTAL), authentication and authorisation
// reads included.
import { serve } from '@hono/node-server';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { Identity } from '../shared/auth/identity.ts';
import { createApi } from '../shared/api/app.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { ensureTable } from '../shared/store/table.ts';
import { inBatches } from './_batches.ts';
import type { BenchResult } from './run.ts';

interface Sample {
  ms: number;
  read: number;
  write: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const n = arg('n', 300);
  const bigObjects = arg('objects', 5_000);
  const platformProjects = arg('projects', 1_000);
  const notes: string[] = [];
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const engine = await startDynamoLocal({ port: await freePort() });
  const server: { close(cb: () => void): void }[] = [];
  try {
    const client = createDynamoClient({ endpoint: engine.endpoint });
    await ensureTable(client, 'bench');
    let read = 0;
    let write = 0;
    const onCapacity = (_op: string, caps: ConsumedCapacity[]) => {
      for (const c of caps) {
        // DynamoDB Local reports CapacityUnits; split into read/write by the operation kind.
        const units = c.CapacityUnits ?? 0;
        if (c.WriteCapacityUnits !== undefined || _op === 'create' || _op === 'update' || _op === 'updateStatus' || _op === 'delete') write += c.WriteCapacityUnits ?? units;
        else read += c.ReadCapacityUnits ?? units;
      }
    };
    const store = new DynamoObjectStore({ client, tableName: 'bench', onCapacity });
    const identity = new Identity(store);
    await identity.bootstrapAdmin('bench-admin-password');
    await identity.createUser('dev', 'bench-dev-password');
    const app = createApi({ store, identity });
    const port = await freePort();
    await new Promise<void>((resolve) => server.push(serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve())));
    const base = `http://127.0.0.1:${port}`;

    const samples = new Map<string, Sample[]>();
    let token = '';
    const op = async (name: string, method: string, path: string, body?: unknown, expect = 200) => {
      const r0 = read;
      const w0 = write;
      const t0 = performance.now();
      const res = await fetch(base + path, {
        method,
        headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== expect) throw new Error(`${name}: ${res.status} ${text}`);
      (samples.get(name) ?? samples.set(name, []).get(name)!).push({ ms, read: read - r0, write: write - w0 });
      return text ? JSON.parse(text) : undefined;
    };

    token = (await op('login', 'POST', '/api/v1/login', { username: 'dev', password: 'bench-dev-password' })).token;
    await op('create project', 'POST', '/api/v1/projects', { metadata: { name: 'bench' } }, 201);
    // Warm up the engine and the JIT; these samples are dropped.
    for (let i = 0; i < 50; i++) await op('warm-up', 'POST', '/api/v1/projects/bench/configmaps', { metadata: { name: `warm-${i}` }, spec: { data: { i: String(i) } } }, 201);
    samples.clear();
    for (let i = 0; i < n; i++) {
      const name = `cm-${i}`;
      const created = await op('create', 'POST', '/api/v1/projects/bench/configmaps', { metadata: { name, labels: { app: 'bench' } }, spec: { data: { key: 'value', i: String(i) } } }, 201);
      await op('get', 'GET', `/api/v1/projects/bench/configmaps/${name}`);
      await op('update', 'PUT', `/api/v1/projects/bench/configmaps/${name}`, { metadata: created.metadata, spec: { data: { key: 'changed' } } });
      if (i % 3 === 0) await op('list (50 per page)', 'GET', '/api/v1/projects/bench/configmaps?limit=50');
    }
    // At scale: a project of 5,000 objects (50 carrying the selector's label) and a platform of
    // 1,000 projects (the user is bound in 10 of them), each list timed beside the 50-object list.
    const scaleStart = performance.now();
    await op('create project', 'POST', '/api/v1/projects', { metadata: { name: 'big' } }, 201);
    const big = Array.from({ length: bigObjects }, (_, i) => ({
      kind: 'ConfigMap',
      metadata: { name: `big-${i}`, project: 'big', labels: { app: i % (bigObjects / 50) === 0 ? 'picked' : 'other' } },
      spec: { data: { i: String(i) } },
    }));
    await inBatches(big, 25, 4, (b) => store.createMany(b));
    const platform = Array.from({ length: platformProjects }, (_, i) => [
      { kind: 'Project', metadata: { name: `tenant-${i}`, project: '' }, spec: {} },
      { kind: 'RoleBinding', metadata: { name: 'admin', project: `tenant-${i}` }, spec: { role: 'admin', subjects: [{ kind: 'User', name: i % 100 === 0 ? 'dev' : `owner-${i}` }] } },
    ]);
    await inBatches(platform, 1, 4, ([pair]) => store.createMany(pair!));
    const loaded = performance.now() - scaleStart;
    samples.delete('create project');
    for (let i = 0; i < 30; i++) {
      await op('list (50 per page)', 'GET', '/api/v1/projects/bench/configmaps?limit=50');
      const page = await op('selector list (50 of 5,000)', 'GET', '/api/v1/projects/big/configmaps?labelSelector=app%3Dpicked');
      if (page.items.length !== 50) throw new Error(`selector list: ${page.items.length} items, not 50`);
      const projects = await op('projects list (of 1,000)', 'GET', '/api/v1/projects');
      if (projects.items.length !== 2 + platformProjects / 100) throw new Error(`projects list: ${projects.items.length} projects`);
    }
    notes.push(`At scale: ${bigObjects} objects in one project and ${platformProjects} more projects loaded in ${Math.round(loaded / 1000)} s; each scale list timed 30 times beside the 50-object list.`);
    for (let i = 0; i < Math.min(n, 100); i++) await op('login', 'POST', '/api/v1/login', { username: 'dev', password: 'bench-dev-password' });
    for (let i = 0; i < Math.min(n, 100); i++) await op('delete', 'DELETE', `/api/v1/projects/bench/configmaps/cm-${i}`, undefined, 204);

    const rows: BenchResult['rows'] = [];
    const figures: BenchResult['figures'] = { requests: 0 };
    for (const [name, list] of samples) {
      const ms = list.map((s) => s.ms).sort((a, b) => a - b);
      const rcu = list.reduce((a, s) => a + s.read, 0) / list.length;
      const wcu = list.reduce((a, s) => a + s.write, 0) / list.length;
      rows.push({ operation: name, count: list.length, 'p50 ms': +percentile(ms, 50).toFixed(2), 'p99 ms': +percentile(ms, 99).toFixed(2), 'RCU/op': +rcu.toFixed(2), 'WCU/op': +wcu.toFixed(2) });
      const key = name.split(' ')[0]!;
      figures[`${key}_p50_ms`] = +percentile(ms, 50).toFixed(2);
      figures[`${key}_p99_ms`] = +percentile(ms, 99).toFixed(2);
      figures[`${key}_rcu`] = +rcu.toFixed(2);
      figures[`${key}_wcu`] = +wcu.toFixed(2);
      figures.requests = (figures.requests as number) + list.length;
    }
    const p50 = (name: string) => percentile(samples.get(name)!.map((x) => x.ms).sort((a, b) => a - b), 50);
    figures.selectorListRatio = +(p50('selector list (50 of 5,000)') / p50('list (50 per page)')).toFixed(2);
    figures.projectsListRatio = +(p50('projects list (of 1,000)') / p50('list (50 per page)')).toFixed(2);
    rows.push({ operation: 'selector list ÷ 50-object list (p50)', count: '', 'p50 ms': figures.selectorListRatio, 'p99 ms': '', 'RCU/op': '', 'WCU/op': '' });
    rows.push({ operation: 'projects list ÷ 50-object list (p50)', count: '', 'p50 ms': figures.projectsListRatio, 'p99 ms': '', 'RCU/op': '', 'WCU/op': '' });
    return {
      notes: [
        `API through HTTP on loopback → Hono app → DynamoDB Local 3.3 (in memory), ${n} objects, one request at a time.`,
        'Capacity units are what DynamoDB reports per request (consistent reads, authentication and authorisation reads included).',
        ...notes,
      ],
      rows,
      figures,
    };
  } finally {
    for (const s of server) await new Promise<void>((r) => s.close(() => r()));
    await engine.stop();
  }
}
