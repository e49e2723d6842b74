// `npm run bench -- router [--routes=N] [--samples=N]`: the router agent with real HAProxy over
// DynamoDB Local, carrying N admitted routes (10,000 by default, spread over 100 services in 20
// projects, every endpoint on one local HTTP app). Then, one at a time, `samples` new routes are
// written (create + admission, then the agent is told, as its stream reconciler would) and the
// time until the router first serves each one is measured. Prints p50/p99 of that latency, the
// model build per change, the full configuration render, reloads, Runtime API commands and
// HAProxy's memory (RSS of master and workers). The table's stream delivery (about 200 ms idle polling locally) is not included.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRouterAgent } from '../agents/router/agent.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import type { NewObject } from '../shared/model/types.ts';
import { routeSpec } from '../shared/model/route-kinds.ts';
import { hostHash, routeAdmission } from '../shared/routing/admission.ts';
import { CLAIM_KIND, HOST_HASH_LABEL, ROUTER_NAME, SUBDOMAIN_HASH_LABEL, subdomainOf } from '../shared/routing/types.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { ensureTable } from '../shared/store/table.ts';
import { get } from '../test/routing/support.ts';
import { inBatches } from './_batches.ts';
import type { BenchResult } from './run.ts';

const PROJECTS = 20;
const SERVICES = 100;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const routeCount = arg('routes', 10_000);
  const samples = arg('samples', 50);
  const engine = await startDynamoLocal({ port: await freePort() });
  const app = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-router-'));
  try {
    const client = createDynamoClient({ endpoint: engine.endpoint });
    await ensureTable(client, 'bench');
    const store = new DynamoObjectStore({ client, tableName: 'bench' });
    const project = (i: number) => `p${i % PROJECTS}`;
    for (let p = 0; p < PROJECTS; p++) await store.create({ kind: 'Project', metadata: { name: project(p), project: '' }, spec: {} });
    const services: NewObject[] = Array.from({ length: SERVICES }, (_, s) => ({
      kind: 'Service',
      metadata: { name: `svc${s}`, project: project(s) },
      spec: { selector: { app: `svc${s}` }, ports: [{ port: 8080, protocol: 'TCP' }] },
      status: { endpoints: [{ pod: `svc${s}-1`, host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: appPort }] }] },
    }));
    const admittedStatus = (host: string) => ({ ingress: [{ host, routerName: ROUTER_NAME, wildcardPolicy: 'None', conditions: [{ type: 'Admitted', status: 'True' }] }] });
    const routes: NewObject[] = Array.from({ length: routeCount }, (_, i) => {
      const s = i % SERVICES;
      const host = `r${i}.bench.example.com`;
      return { kind: 'Route', metadata: { name: `r${i}`, project: project(s) }, spec: routeSpec.parse({ host, to: { name: `svc${s}` } }), status: admittedStatus(host) };
    });
    // Each admitted route holds its claim, as admission leaves it: new routes are judged against them all.
    const claims: NewObject[] = routes.map((r) => {
      const host = (r.spec as { host: string }).host;
      return {
        kind: CLAIM_KIND,
        metadata: { name: `${r.metadata.project}.${r.metadata.name}`, project: '', labels: { [HOST_HASH_LABEL]: hostHash(host), [SUBDOMAIN_HASH_LABEL]: hostHash(subdomainOf(host)) } },
        spec: { host, path: '', project: r.metadata.project, route: r.metadata.name, since: '2026-01-01T00:00:00.000Z' },
      };
    });
    const t0 = performance.now();
    await inBatches([...services, ...routes, ...claims], 25, 8, (b) => store.createMany(b));
    const loadMs = performance.now() - t0;

    const httpPort = await freePort();
    const t1 = performance.now();
    const agent = await startRouterAgent({ store, httpPort, httpsPort: await freePort(), domain: 'apps.localhost', dir, pollMs: 0 });
    const startMs = performance.now() - t1;
    const firstRenderMs = agent.stats.lastBuildMs + agent.stats.lastRenderMs;
    const admission = routeAdmission({ store, domain: 'apps.localhost' });
    const latencies: number[] = [];
    const renders: number[] = [];
    try {
      for (let i = 0; i < samples; i++) {
        const s = i % SERVICES;
        const ref = { kind: 'Route', project: project(s), name: `new${i}` };
        const host = `new${i}.bench.example.com`;
        const start = performance.now();
        await store.create({ kind: 'Route', metadata: { name: ref.name, project: ref.project }, spec: routeSpec.parse({ host, to: { name: `svc${s}` } }) });
        await admission.reconcile(ref);
        await agent.changed(ref);
        for (;;) {
          const r = await get(httpPort, host).catch(() => undefined);
          if (r?.status === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        latencies.push(performance.now() - start);
        renders.push(agent.stats.lastBuildMs);
      }
      await agent.settled();
      const memory = await agent.memoryBytes();
      latencies.sort((a, b) => a - b);
      renders.sort((a, b) => a - b);
      const figures = {
        routes: routeCount,
        samples,
        writeToServedP50Ms: Math.round(percentile(latencies, 50)),
        writeToServedP99Ms: Math.round(percentile(latencies, 99)),
        buildP50Ms: Math.round(percentile(renders, 50)),
        firstRenderMs: Math.round(firstRenderMs),
        agentStartMs: Math.round(startMs),
        reloads: agent.stats.reloads,
        runtimeUpdates: agent.stats.runtimeUpdates,
        haproxyRssMiB: Math.round(memory / 2 ** 20),
      };
      return {
        notes: [`${routeCount} routes (with their claims) loaded into DynamoDB Local in ${Math.round(loadMs)} ms; ${samples} new routes written one at a time (create + admission + agent told), each polled until served`],
        rows: [
          { figure: 'route write → first served, p50', value: `${figures.writeToServedP50Ms} ms` },
          { figure: 'route write → first served, p99', value: `${figures.writeToServedP99Ms} ms` },
          { figure: 'model build per change, p50', value: `${figures.buildP50Ms} ms` },
          { figure: 'full config render (model + text, at start)', value: `${figures.firstRenderMs} ms` },
          { figure: 'agent start (HAProxy included)', value: `${figures.agentStartMs} ms` },
          { figure: 'reloads', value: figures.reloads },
          { figure: 'Runtime API commands', value: figures.runtimeUpdates },
          { figure: 'HAProxy RSS (master + workers)', value: `${figures.haproxyRssMiB} MiB` },
        ],
        figures,
      };
    } finally {
      await agent.stop();
    }
  } finally {
    app.close();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
