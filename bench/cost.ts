// `npm run bench -- cost [--rollouts=N] [--deploys=N] [--log-seconds=S] [--quiet-seconds=S] [--window-ms=MS] [--parts] [--writes]`:
// what the control plane spends on one rollout of a DeploymentConfig and on one whole deploy (a
// build and the rollout of its image), counted request by request, and what that is in dollars
// per 1,000 deploys beside the aim (issue #16: control plane ≤ $0.10 per 1,000 deploys).
//
// On DynamoDB Local, with every reconciler the stream function runs on AWS (platformReconcilers,
// as functions/wire-builds.ts wires them, over simulated AWS adapters where they call ECS, ECR,
// S3 or Cloud Map: bench/_simulated-aws.ts), driven as
// Lambda drives the stream function: the table's stream read shard by shard, records filtered by
// the stream trigger's filter (STREAM_FILTER), gathered for the trigger's batching window
// (STREAM_SETTINGS: 1 s, 100 records) from the first record, then handed to the stream handler
// in one invocation; records its reconciles write wait for the next. The hosts' side is the
// real pod sync over simulated containers (no Docker), told of each pod record, as each host
// (ECS: the resync function's task events) would be; its requests are counted apart. A deploy's
// build is run by the real builder agent in this process, with its own clients (counted apart),
// and ECR's push event goes to the registry events function's code.
//
// Counted per rollout or deploy (the API's write that starts it is not): every
// DynamoDB request and the capacity DynamoDB Local reports for it (ReturnConsumedCapacity TOTAL
// set on every request by a client middleware), the stream's GetRecords calls, the stream
// function's invocations and their duration here. Priced at the on-demand list prices of
// docs/cost.md (US East, N. Virginia).
import { DynamoDBStreamsClient, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FUNCTIONS } from '../infra/functions.ts';
import { STREAM_FILTER, STREAM_SETTINGS } from '../infra/stacks/control-plane-stack.ts';
import { DynamoBuildLogs } from '../shared/builds/dynamo-logs.ts';
import { instantiateBuild, type Build } from '../shared/builds/instantiate.ts';
import { createPodSync } from '../shared/fleet/pod-sync.ts';
import { SimulatedPods } from '../shared/fleet/simulated-pods.ts';
import { platformReconcilers } from '../shared/platform/reconcilers.ts';
import { DynamoPushSubscriptions } from '../shared/push/subscriptions.ts';
import { IdleSignalTable } from '../shared/idling/signals.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import { toLambdaEvent } from '../shared/local/stream-poller.ts';
import { buildConfigSpec } from '../shared/model/build-kinds.ts';
import { deploymentConfigSpec } from '../shared/model/deploy-kinds.ts';
import { SHARED_PROJECT } from '../shared/model/reserved-names.ts';
import type { DeploymentConfig, Pod, ReplicationController } from '../shared/model/objects.ts';
import { createStreamHandler } from '../shared/reconcile/stream.ts';
import type { Reconciler } from '../shared/reconcile/types.ts';
import { RouterFeedTable, routerFeedWriter } from '../shared/routing/feed.ts';
import { DynamoBindingStore } from '../shared/scheduler/dynamo-binding.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore } from '../shared/store/dynamo.ts';
import { LOG_PARTITION_PREFIX } from '../shared/store/keys.ts';
import { ensureTable } from '../shared/store/table.ts';
import { Meter, metered } from './_metering.ts';
import { InProcessBuilders, simulatedCloudMap, simulatedEcr, simulatedProxies, simulatedSources, type BuildPace } from './_simulated-aws.ts';
import type { BenchResult } from './run.ts';

const TABLE = 'cost';
const PROJECT = 'shop';

/** On-demand list prices, US East (N. Virginia), as docs/cost.md names them ("Sources"). */
export const PRICES = {
  /** Amazon DynamoDB, on-demand, Standard table class: per read request unit. */
  rru: 0.125 / 1e6,
  /** Per write request unit. */
  wru: 0.625 / 1e6,
  /** AWS Lambda: per request. */
  lambdaRequest: 0.2 / 1e6,
  /** AWS Lambda, arm64: per GB-second. */
  gbSecond: 0.0000133334,
  /** DynamoDB Streams reads by a Lambda trigger: free. */
  getRecords: 0,
};
/** The aim of issue #16: the control plane's cost per 1,000 deploys. */
export const AIM_PER_1000 = 0.1;

const memoryOf = (name: string) => FUNCTIONS.find((f) => f.name === name)!.memoryMiB;
const prefixes = STREAM_FILTER.dynamodb.Keys.pk.S.map((p) => p.prefix);
/** Whether the stream trigger's filter lets a record through to the function. */
const passesFilter = (r: DynamoDBRecord) => prefixes.some((p) => r.dynamodb?.Keys?.pk?.S?.startsWith(p));

interface Invocation {
  records: number;
  ms: number;
  /** Every record a build log's item: a batch that wakes no reconciler (only push connections are told of it). */
  logOnly: boolean;
}

/**
 * The stream trigger as Lambda runs it on one shard: poll, keep the records the filter passes,
 * and once the batching window (from the first kept record) has passed or the batch is full,
 * invoke the handler and wait for it; a batch item failure is delivered again from that record.
 */
export class LambdaStreamTrigger {
  readonly invocations: Invocation[] = [];
  getRecords = 0;
  private stopped = false;
  private busy = false;
  private done?: Promise<void>;

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly handler: ReturnType<typeof createStreamHandler>,
    private readonly windowMs: number,
    private readonly batchSize: number,
  ) {}

  async start(): Promise<void> {
    const shards = (await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn }))).StreamDescription?.Shards ?? [];
    const open = shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
    if (open.length !== 1) throw new Error(`expected one open shard, found ${open.length}`);
    const it = await this.client.send(new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: open[0]!.ShardId!, ShardIteratorType: 'LATEST' }));
    this.done = this.pump(it.ShardIterator);
  }

  /** Nothing gathered and no invocation running. */
  idle(): boolean {
    return !this.busy;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async pump(iterator: string | undefined): Promise<void> {
    let batch: DynamoDBRecord[] = [];
    let first = 0;
    while (!this.stopped && iterator) {
      const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }));
      this.getRecords++;
      iterator = out.NextShardIterator;
      const kept = toLambdaEvent(out.Records ?? [], this.streamArn).Records.filter(passesFilter);
      if (kept.length) {
        if (!batch.length) first = performance.now();
        this.busy = true;
        batch.push(...kept);
      }
      const due = batch.length >= this.batchSize || (batch.length > 0 && performance.now() - first >= this.windowMs);
      if (!due) {
        // Lambda polls a shard about four times a second; sooner while a window is open here, to close it on time.
        await sleep(batch.length ? Math.min(50, this.windowMs) : (out.Records ?? []).length ? 0 : 250);
        continue;
      }
      const event = { Records: batch.slice(0, this.batchSize) };
      const start = performance.now();
      const result = await this.handler(event);
      this.invocations.push({ records: event.Records.length, ms: performance.now() - start, logOnly: event.Records.every((r) => r.dynamodb?.Keys?.pk?.S?.startsWith(LOG_PARTITION_PREFIX)) });
      const failed = result.batchItemFailures[0]?.itemIdentifier;
      const from = failed ? event.Records.findIndex((r) => r.dynamodb?.SequenceNumber === failed) : event.Records.length;
      batch = [...event.Records.slice(Math.max(from, 0)), ...batch.slice(this.batchSize)];
      first = performance.now();
      this.busy = batch.length > 0;
    }
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** What the stream function and the hosts spent, per rollout or per deploy. */
interface StreamCost {
  /** The stream function's DynamoDB requests and capacity. */
  requests: number;
  rru: number;
  wru: number;
  /** Requests and capacity units by reconciler and the kind of the record that woke it. */
  byWho: Record<string, { requests: number; units: number; writeUnits: number }>;
  /** The stream function's writes by what they wrote, and their write units. */
  writes: Record<string, { requests: number; units: number }>;
  /** The hosts' side (pod sync). */
  hostRequests: number;
  hostRru: number;
  hostWru: number;
  invocations: number;
  invocationMs: number;
  records: number;
}

/** The figures of a stream meter and a host meter, each divided by `n`. */
function streamCost(control: Meter, host: Meter, n: number): Omit<StreamCost, 'invocations' | 'invocationMs' | 'records'> {
  const per = (x: number) => x / n;
  return {
    requests: per(control.total),
    rru: per(control.rru),
    wru: per(control.wru),
    byWho: Object.fromEntries([...control.byWho].map(([k, v]) => [k, { requests: per(v.requests), units: per(v.units), writeUnits: per(v.writeUnits) }])),
    writes: Object.fromEntries([...control.writes].map(([k, v]) => [k, { requests: per(v.requests), units: per(v.units) }])),
    hostRequests: per(host.total),
    hostRru: per(host.rru),
    hostWru: per(host.wru),
  };
}

export interface RolloutCost extends StreamCost {
  replicas: number;
  rollouts: number;
  /** Per rollout: the stream function's DynamoDB requests by command. */
  byCommand: Record<string, number>;
  refused: number;
  getRecords: number;
}

/** Dollars per 1,000 rollouts of the figures, by line. */
export function dollarsPer1000(c: RolloutCost): { dynamo: number; hostDynamo: number; lambda: number; total: number } {
  const gb = memoryOf('stream') / 1024;
  const dynamo = 1000 * (c.rru * PRICES.rru + c.wru * PRICES.wru);
  const hostDynamo = 1000 * (c.hostRru * PRICES.rru + c.hostWru * PRICES.wru);
  const lambda = 1000 * (c.invocations * PRICES.lambdaRequest + c.invocations * (c.invocationMs / 1000) * gb * PRICES.gbSecond);
  return { dynamo, hostDynamo, lambda, total: dynamo + hostDynamo + lambda };
}

/** The platform a run measures on: the stream function's reconcilers and three hosts, over one table. */
async function platform(endpoint: string, streamArn: string, windowMs: number) {
  let pace: BuildPace = { logSeconds: 1, logBytesPerSecond: 1000, quietSeconds: 1, startSeconds: 1 };
  const setup = new DynamoObjectStore({ client: createDynamoClient({ endpoint }), tableName: TABLE });
  // Which reconciler sent each request (and which record's object it was reconciling).
  const running = new AsyncLocalStorage<string>();
  const control = new Meter(() => running.getStore());
  const host = new Meter();
  const client = metered(createDynamoClient({ endpoint }), control);
  const hostClient = metered(createDynamoClient({ endpoint }), host);
  const store = new DynamoObjectStore({ client, tableName: TABLE });
  const bindings = new DynamoBindingStore({ client, tableName: TABLE });
  const hostStore = new DynamoObjectStore({ client: hostClient, tableName: TABLE });
  const hostBindings = new DynamoBindingStore({ client: hostClient, tableName: TABLE });
  const hostNames = [0, 1, 2].map((i) => `host-${i}`);

  // Each host's pod sync: one pass at a time, a pass asked for meanwhile runs after it.
  const passes = new Map<string, { running: Promise<void>; again: boolean }>();
  const syncs = new Map(hostNames.map((h) => [h, createPodSync({ store: hostStore, bindings: hostBindings, hostName: h, address: '127.0.0.1', containers: new SimulatedPods(), uidFor: async () => 1_000_100_000, drainMs: 0 })]));
  const tell = (h: string) => {
    const p = passes.get(h);
    if (p) return void (p.again = true);
    const state = { again: false, running: Promise.resolve() };
    passes.set(h, state);
    state.running = (async () => {
      do {
        state.again = false;
        await syncs.get(h)!.syncHost().catch(() => undefined);
      } while (state.again);
      passes.delete(h);
    })();
  };
  // The hosts hear of pod changes from the platform, not from the stream function: this
  // watcher makes no request (on AWS, ECS task events and the fleet pass do this part).
  const hostsHear: Reconciler = {
    name: 'hosts',
    kinds: ['Pod'],
    async reconcile() {
      for (const h of hostNames) tell(h);
      return {};
    },
  };
  const signals = new IdleSignalTable({ client, tableName: TABLE });
  // The builder agents' own requests (ECS tasks on AWS), their log appends, and the registry
  // events function's, each counted apart.
  const agent = new Meter();
  const agentLogs = new Meter();
  const registryEvents = new Meter();
  const builders = new InProcessBuilders({
    agentStore: new DynamoObjectStore({ client: metered(createDynamoClient({ endpoint }), agent), tableName: TABLE }),
    agentLogs: new DynamoBuildLogs({ client: metered(createDynamoClient({ endpoint }), agentLogs), tableName: TABLE }),
    eventsStore: new DynamoObjectStore({ client: metered(createDynamoClient({ endpoint }), registryEvents), tableName: TABLE }),
    pace: () => pace,
  });
  // Every reconciler the stream function runs on AWS (functions/wire-builds.ts), over simulated
  // AWS adapters where they call AWS (ECS, ECR, S3, Cloud Map): their DynamoDB requests are real.
  const reconcilers = [
    ...platformReconcilers({
      store, bindings,
      builds: { launcher: builders, logs: new DynamoBuildLogs({ client, tableName: TABLE }), sources: simulatedSources },
      registry: simulatedEcr,
      appsDomain: 'apps.example.com',
      routers: routerFeedWriter(new RouterFeedTable({ client, tableName: TABLE })),
      idling: { signals, idleAfterMs: 1800_000 },
      serviceDiscovery: { names: simulatedCloudMap, proxies: simulatedProxies },
      watchers: new DynamoPushSubscriptions({ client, tableName: TABLE }),
    }),
    hostsHear,
  ].map((r): Reconciler => ({ ...r, reconcile: (ref) => running.run(`${r.name} ← ${ref.kind}`, () => r.reconcile(ref)) }));
  const requeues: string[] = [];
  const handler = createStreamHandler(reconcilers, { onRequeue: (r, ref) => requeues.push(`${r.name} ${ref.kind}/${ref.name}`) });
  const streams = new DynamoDBStreamsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const trigger = new LambdaStreamTrigger(streams, streamArn, handler, windowMs, STREAM_SETTINGS.batchSize);

  await setup.create({ kind: 'Project', metadata: { name: PROJECT, project: '' }, spec: {}, status: { phase: 'Active' } });
  for (const h of hostNames) {
    await setup.create({ kind: 'Host', metadata: { name: h, project: '' }, spec: { provider: 'simulated', address: '127.0.0.1', capacity: { cpu: '4', memory: '8Gi' }, unschedulable: false }, status: { allocatable: { cpuMilli: 4000, memoryBytes: 8 * 2 ** 30 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true, conditions: [] } });
    await setup.create({ kind: 'HostLease', metadata: { name: h, project: '' }, spec: { renewTime: new Date(Date.now() + 3600_000).toISOString(), leaseDurationSeconds: 3600 }, status: {} });
  }
  await trigger.start();
  return {
    setup, control, host, agent, agentLogs, registryEvents, builders, trigger, passes, requeues, windowMs,
    setPace: (next: BuildPace) => void (pace = next),
    async stop() {
      await builders.stopAll();
      await trigger.stop();
      await Promise.all([...passes.values()].map((p) => p.running));
      streams.destroy();
    },
  };
}
type Platform = Awaited<ReturnType<typeof platform>>;

async function measure(p: Platform, replicas: number, rollouts: number): Promise<RolloutCost> {
  const { setup, control, host, trigger, passes, requeues, windowMs } = p;
  const name = `web${replicas}`;
  await setup.create({ kind: 'Service', metadata: { name, project: PROJECT }, spec: { selector: { app: name }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] } });
  const spec = deploymentConfigSpec.parse({
    replicas,
    selector: { app: name },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/shop/web@sha256:1', env: [{ name: 'REV', value: '0' }], ports: [{ containerPort: 8080 }] }] } },
  });
  const dcRef = { kind: 'DeploymentConfig', project: PROJECT, name };
  /** Resolves once revision `version` is Complete, its pods Ready, no older pod is left and everything has settled. */
  const settled = async (version: number) => {
    const deadline = performance.now() + 120_000;
    for (;;) {
      await sleep(100);
      const dc = await setup.get<DeploymentConfig>(dcRef);
      const rc = await setup.get<ReplicationController>({ kind: 'ReplicationController', project: PROJECT, name: `${name}-${version}` });
      const pods = (await setup.list<Pod>('Pod', PROJECT, { labels: { app: name } })).items;
      const done = dc?.status.latestVersion === version && rc?.status.phase === 'Complete'
        && pods.length === replicas && pods.every((p) => p.metadata.labels?.deployment === rc.metadata.name && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (done && trigger.idle() && passes.size === 0) {
        // Quiet for two batching windows: nothing more is coming.
        const seen = trigger.invocations.length;
        await sleep(2 * windowMs + 300);
        if (trigger.invocations.length === seen && trigger.idle() && passes.size === 0) return;
      }
      if (performance.now() > deadline) throw new Error(`revision ${version} of ${name} did not settle in 2 min (requeues asked for: ${requeues.join(', ') || 'none'})`);
    }
  };
  await setup.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: PROJECT }, spec });
  await settled(1);
  const totals = new Meter();
  const hostTotals = new Meter();
  let invocations = 0;
  let invocationMs = 0;
  let records = 0;
  let getRecords = 0;
  for (let i = 1; i <= rollouts; i++) {
    control.reset();
    host.reset();
    const before = trigger.invocations.length;
    const reads = trigger.getRecords;
    // The write that makes the new revision (the API's, not counted): REV changes.
    const dc = (await setup.get<DeploymentConfig>(dcRef))!;
    const container = dc.spec.template.spec.containers[0]!;
    await setup.update({ ...dc, spec: { ...dc.spec, template: { ...dc.spec.template, spec: { ...dc.spec.template.spec, containers: [{ ...container, env: [{ name: 'REV', value: String(i) }] }] } } } });
    await settled(i + 1);
    totals.add(control);
    hostTotals.add(host);
    const mine = trigger.invocations.slice(before);
    invocations += mine.length;
    invocationMs += mine.reduce((s, x) => s + x.ms, 0);
    records += mine.reduce((s, x) => s + x.records, 0);
    getRecords += trigger.getRecords - reads;
  }
  const per = (x: number) => x / rollouts;
  return {
    ...streamCost(totals, hostTotals, rollouts),
    replicas,
    rollouts,
    byCommand: Object.fromEntries([...totals.requests].map(([k, v]) => [k, per(v)])),
    refused: per(totals.refused),
    invocations: per(invocations),
    invocationMs: invocations ? invocationMs / invocations : 0,
    records: per(records),
    getRecords: per(getRecords),
  };
}

/** What one deploy (a build and the rollout of its image) costs, by part. */
export interface DeployCost extends StreamCost {
  deploys: number;
  replicas: number;
  pace: BuildPace;
  /** Per deploy: the builder agent's requests and units (its Build's status, its reads of the Build while it runs), and its log appends'. */
  agentRequests: number;
  agentRru: number;
  agentWru: number;
  agentBuildReads: number;
  logRequests: number;
  logWru: number;
  /** Per deploy: the stream function's invocations for batches of build log items alone (no reconciler runs; on AWS the push connections are told). */
  logOnlyInvocations: number;
  /** Per deploy: the registry events function (ECR's push event): invocations, requests, units. */
  eventInvocations: number;
  eventRequests: number;
  eventRru: number;
  eventWru: number;
}

/** Dollars per 1,000 deploys of the figures, by line. */
export function deployDollarsPer1000(c: DeployCost): { stream: number; lambda: number; agent: number; log: number; events: number; hosts: number; total: number } {
  const units = (rru: number, wru: number) => 1000 * (rru * PRICES.rru + wru * PRICES.wru);
  const stream = units(c.rru, c.wru);
  // The registry events function: 50 ms at its memory (assumed), as docs/cost.md counts it.
  const events = units(c.eventRru, c.eventWru) + 1000 * c.eventInvocations * (PRICES.lambdaRequest + 0.05 * (memoryOf('registry-events') / 1024) * PRICES.gbSecond);
  const lambda = 1000 * c.invocations * (PRICES.lambdaRequest + (c.invocationMs / 1000) * (memoryOf('stream') / 1024) * PRICES.gbSecond);
  const agent = units(c.agentRru, c.agentWru);
  const log = units(0, c.logWru);
  const hosts = units(c.hostRru, c.hostWru);
  return { stream, lambda, agent, log, events, hosts, total: stream + lambda + agent + log + events + hosts };
}

/**
 * Deploys as docs/cost.md counts one: `start-build` of a binary build (the API's writes, not
 * counted), the build run by the builder agent at the pace given, its image recorded, and the
 * DeploymentConfig's ImageChange trigger rolling it out to `replicas` pods.
 */
async function measureDeploys(p: Platform, deploys: number, replicas: number, pace: BuildPace, warm: BuildPace): Promise<DeployCost> {
  const { setup, control, host, agent, agentLogs, registryEvents, builders, trigger, passes, windowMs } = p;
  const name = 'app';
  p.setPace(warm);
  await setup.create({ kind: 'Project', metadata: { name: SHARED_PROJECT, project: '' }, spec: {}, status: { phase: 'Active' } }).catch(() => undefined);
  await setup.create({ kind: 'ImageStream', metadata: { name: 'python', project: SHARED_PROJECT }, spec: { tags: [] } });
  const builder = (await setup.get({ kind: 'ImageStream', project: SHARED_PROJECT, name: 'python' }))!;
  const builderImage = { created: new Date().toISOString(), dockerImageReference: `${simulatedEcr.repository(SHARED_PROJECT, 'python')}@sha256:${'1'.repeat(64)}`, image: `sha256:${'1'.repeat(64)}` };
  await setup.updateStatus({ ...builder, status: { dockerImageRepository: simulatedEcr.repository(SHARED_PROJECT, 'python'), tags: [{ tag: '3.11', items: [builderImage] }] } });
  await setup.create({ kind: 'BuildConfig', metadata: { name, project: PROJECT }, spec: buildConfigSpec.parse({
    source: { binary: {} },
    strategy: { type: 'Source', sourceStrategy: { from: { kind: 'ImageStreamTag', name: 'python:3.11', namespace: SHARED_PROJECT } } },
    output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } },
  }) });
  await setup.create({ kind: 'Service', metadata: { name, project: PROJECT }, spec: { selector: { app: name }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] } });
  await setup.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: PROJECT }, spec: deploymentConfigSpec.parse({
    replicas,
    selector: { app: name },
    triggers: [{ type: 'ConfigChange' }, { type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: ['web'], from: { kind: 'ImageStreamTag', name: `${name}:latest` } } }],
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', ports: [{ containerPort: 8080 }] }] } },
  }) });
  const dcRef = { kind: 'DeploymentConfig', project: PROJECT, name };
  /** Resolves once build `n` is Complete, its image's revision `version` rolled out and everything has settled. */
  const settled = async (n: number, version: number) => {
    const deadline = performance.now() + 60_000 + 1000 * (warm.startSeconds + pace.startSeconds + pace.logSeconds + pace.quietSeconds);
    for (;;) {
      await sleep(200);
      const build = await setup.get<Build>({ kind: 'Build', project: PROJECT, name: `${name}-${n}` });
      const dc = await setup.get<DeploymentConfig>(dcRef);
      const rc = await setup.get<ReplicationController>({ kind: 'ReplicationController', project: PROJECT, name: `${name}-${version}` });
      const pods = (await setup.list<Pod>('Pod', PROJECT, { labels: { app: name } })).items;
      const done = build?.status.phase === 'Complete' && dc?.status.latestVersion === version && rc?.status.phase === 'Complete'
        && pods.length === replicas && pods.every((x) => x.metadata.labels?.deployment === rc.metadata.name && x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (done && trigger.idle() && passes.size === 0 && builders.idle()) {
        const seen = trigger.invocations.length;
        await sleep(2 * windowMs + 300);
        if (trigger.invocations.length === seen && trigger.idle() && passes.size === 0) return;
      }
      if (build && build.status.phase !== 'Complete' && ['Failed', 'Error', 'Cancelled'].includes(build.status.phase ?? '')) throw new Error(`build ${name}-${n} ended ${build.status.phase}: ${build.status.message}`);
      if (performance.now() > deadline) throw new Error(`build ${name}-${n} and revision ${version} did not settle (build ${build?.status.phase}, DC at ${dc?.status.latestVersion})`);
    }
  };
  const start = () => instantiateBuild(setup, PROJECT, name, { message: 'Manually triggered' });
  // The first build makes the first revision (not counted).
  await start();
  await settled(1, 1);
  p.setPace(pace);
  const meters = { control: new Meter(), host: new Meter(), agent: new Meter(), log: new Meter(), events: new Meter() };
  let invocations = 0, invocationMs = 0, records = 0, eventInvocations = 0, logOnly = 0;
  let buildReads = 0;
  for (let i = 1; i <= deploys; i++) {
    for (const m of [control, host, agent, agentLogs, registryEvents]) m.reset();
    const before = trigger.invocations.length;
    const events = builders.registryEvents;
    await start();
    await settled(i + 1, i + 1);
    meters.control.add(control);
    meters.host.add(host);
    meters.agent.add(agent);
    meters.log.add(agentLogs);
    meters.events.add(registryEvents);
    // The agent's reads of its Build: to claim and finish it, and while it runs (to stop when the build is cancelled or taken over).
    buildReads += agent.got.filter((k) => k.includes(`Build#${name}-${i + 1}`)).length;
    // The batches a reconciler ran for; those of log items alone are counted apart (their work on AWS is the push notices').
    const all = trigger.invocations.slice(before);
    const mine = all.filter((x) => !x.logOnly);
    logOnly += all.length - mine.length;
    invocations += mine.length;
    invocationMs += mine.reduce((sum, x) => sum + x.ms, 0);
    records += mine.reduce((sum, x) => sum + x.records, 0);
    eventInvocations += builders.registryEvents - events;
  }
  const per = (x: number) => x / deploys;
  const m = meters;
  return {
    ...streamCost(m.control, m.host, deploys),
    deploys, replicas, pace,
    invocations: per(invocations), invocationMs: invocations ? invocationMs / invocations : 0, records: per(records), logOnlyInvocations: per(logOnly),
    agentRequests: per(m.agent.total), agentRru: per(m.agent.rru), agentWru: per(m.agent.wru), agentBuildReads: per(buildReads),
    logRequests: per(m.log.total), logWru: per(m.log.wru),
    eventInvocations: per(eventInvocations), eventRequests: per(m.events.total), eventRru: per(m.events.rru), eventWru: per(m.events.wru),
  };
}

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const rollouts = Math.max(0, arg('rollouts', 5));
  const deploys = Math.max(0, arg('deploys', 2));
  // What docs/cost.md takes a deploy's build to be: about 2 minutes, 30 s of it printing ~100 KB.
  const pace: BuildPace = { logSeconds: arg('log-seconds', 30), logBytesPerSecond: arg('log-bytes-per-second', 3400), quietSeconds: arg('quiet-seconds', 80), startSeconds: arg('start-seconds', 10) };
  const windowMs = arg('window-ms', STREAM_SETTINGS.maxBatchingWindow!.toMilliseconds());
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const engine = await startDynamoLocal({ port: await freePort() });
  try {
    const admin = createDynamoClient({ endpoint: engine.endpoint });
    const streamArn = await ensureTable(admin, TABLE);
    const results: RolloutCost[] = [];
    let deployCost: DeployCost | undefined;
    const p = await platform(engine.endpoint, streamArn, windowMs);
    try {
      if (rollouts > 0) for (const replicas of [1, 3]) results.push(await measure(p, replicas, rollouts));
      if (deploys > 0) deployCost = await measureDeploys(p, deploys, 2, pace, { ...pace, logSeconds: 1, quietSeconds: 1 });
    } finally {
      await p.stop();
    }
    const rows = results.flatMap((c) => {
      const $ = dollarsPer1000(c);
      const label = `${c.replicas} replica${c.replicas > 1 ? 's' : ''}`;
      return [
        { rollout: label, figure: 'stream function: DynamoDB requests', value: `${round(c.requests)} (${Object.entries(c.byCommand).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${round(v)}`).join(', ')})`, 'per 1,000': '' },
        { rollout: label, figure: 'stream function: largest parts (requests, units)', value: Object.entries(c.byWho).sort((a, b) => b[1].units - a[1].units).slice(0, 5).map(([k, v]) => `${k} ${round(v.requests)}, ${round(v.units)}`).join('; '), 'per 1,000': '' },
        { rollout: label, figure: 'stream function: RRU / WRU', value: `${round(c.rru)} / ${round(c.wru)} (${round(c.refused)} refused writes)`, 'per 1,000': `$${$.dynamo.toFixed(4)}` },
        { rollout: label, figure: 'hosts (pod sync): requests, RRU / WRU', value: `${round(c.hostRequests)}, ${round(c.hostRru)} / ${round(c.hostWru)}`, 'per 1,000': `$${$.hostDynamo.toFixed(4)}` },
        { rollout: label, figure: `stream function: invocations × ms (${memoryOf('stream')} MB)`, value: `${round(c.invocations)} × ${round(c.invocationMs)} ms (${round(c.records)} records)`, 'per 1,000': `$${$.lambda.toFixed(4)}` },
        { rollout: label, figure: 'stream GetRecords (free to a Lambda trigger)', value: round(c.getRecords), 'per 1,000': '$0' },
        { rollout: label, figure: 'rollout, in all (aim: whole control plane ≤ $0.10)', value: '', 'per 1,000': `$${$.total.toFixed(4)}` },
      ];
    });
    if (deployCost) {
      const c = deployCost;
      const $ = deployDollarsPer1000(c);
      const label = `deploy (build, ${c.replicas} replicas)`;
      rows.push(
        { rollout: label, figure: 'stream function: DynamoDB requests', value: `${round(c.requests)}`, 'per 1,000': '' },
        { rollout: label, figure: 'stream function: largest parts (requests, units)', value: Object.entries(c.byWho).sort((a, b) => b[1].units - a[1].units).slice(0, 5).map(([k, v]) => `${k} ${round(v.requests)}, ${round(v.units)}`).join('; '), 'per 1,000': '' },
        { rollout: label, figure: 'stream function: RRU / WRU', value: `${round(c.rru)} / ${round(c.wru)}`, 'per 1,000': `$${$.stream.toFixed(4)}` },
        { rollout: label, figure: `stream function: invocations × ms (${memoryOf('stream')} MB)`, value: `${round(c.invocations)} × ${round(c.invocationMs)} ms (${round(c.records)} records)`, 'per 1,000': `$${$.lambda.toFixed(4)}` },
        { rollout: label, figure: 'stream function: invocations for log items alone (push notices; priced with following)', value: round(c.logOnlyInvocations), 'per 1,000': '' },
        { rollout: label, figure: "builder agent: requests, RRU / WRU (its reads of its Build)", value: `${round(c.agentRequests)}, ${round(c.agentRru)} / ${round(c.agentWru)} (${round(c.agentBuildReads)})`, 'per 1,000': `$${$.agent.toFixed(4)}` },
        { rollout: label, figure: "builder agent: log appends' requests, WRU", value: `${round(c.logRequests)}, ${round(c.logWru)}`, 'per 1,000': `$${$.log.toFixed(4)}` },
        { rollout: label, figure: 'registry events: invocations, requests, RRU / WRU', value: `${round(c.eventInvocations)}, ${round(c.eventRequests)}, ${round(c.eventRru)} / ${round(c.eventWru)}`, 'per 1,000': `$${$.events.toFixed(4)}` },
        { rollout: label, figure: 'hosts (pod sync): requests, RRU / WRU', value: `${round(c.hostRequests)}, ${round(c.hostRru)} / ${round(c.hostWru)}`, 'per 1,000': `$${$.hosts.toFixed(4)}` },
        { rollout: label, figure: 'deploy, in all (but the API and following)', value: '', 'per 1,000': `$${$.total.toFixed(4)}` },
      );
    }
    const figures: Record<string, number> = { rollouts, windowMs, aimPer1000: AIM_PER_1000 };
    if (deployCost) {
      const c = deployCost;
      Object.assign(figures, {
        deploys,
        deployStreamRru: round(c.rru), deployStreamWru: round(c.wru), deployInvocations: round(c.invocations), deployInvocationMs: round(c.invocationMs), deployLogOnlyInvocations: round(c.logOnlyInvocations),
        deployAgentRru: round(c.agentRru), deployAgentWru: round(c.agentWru), deployAgentBuildReads: round(c.agentBuildReads), deployLogWru: round(c.logWru),
        deployEventRru: round(c.eventRru), deployEventWru: round(c.eventWru), deployHostRru: round(c.hostRru), deployHostWru: round(c.hostWru),
        deployDollarsPer1000: round(deployDollarsPer1000(c).total, 4),
      });
    }
    for (const c of results) {
      const $ = dollarsPer1000(c);
      const k = c.replicas === 1 ? 'one' : 'three';
      Object.assign(figures, {
        [`${k}ReplicaRequests`]: round(c.requests),
        [`${k}ReplicaRru`]: round(c.rru),
        [`${k}ReplicaWru`]: round(c.wru),
        [`${k}ReplicaHostRequests`]: round(c.hostRequests),
        [`${k}ReplicaInvocations`]: round(c.invocations),
        [`${k}ReplicaInvocationMs`]: round(c.invocationMs),
        [`${k}ReplicaGetRecords`]: round(c.getRecords),
        [`${k}ReplicaDollarsPer1000`]: round($.total, 4),
      });
    }
    const parts: string[] = args.includes('--parts')
      ? results.flatMap((c) => Object.entries(c.byWho).sort((a, b) => b[1].units - a[1].units).map(([k, v]) => `  ${c.replicas} replica(s): ${k}: ${round(v.requests)} requests, ${round(v.units)} units (${round(v.writeUnits)} written)`))
      : [];
    const writes = args.includes('--writes')
      ? [...results.map((c) => [`${c.replicas} replica(s)`, c.writes] as const), ...(deployCost ? [['deploy', deployCost.writes] as const] : [])]
        .flatMap(([label, w]) => Object.entries(w).sort((a, b) => b[1].units - a[1].units).map(([k, v]) => `  ${label}: ${k}: ${round(v.requests)} requests, ${round(v.units)} write units`))
      : [];
    if (args.includes('--parts') && deployCost) parts.push(...Object.entries(deployCost.byWho).sort((a, b) => b[1].units - a[1].units).map(([k, v]) => `  deploy: ${k}: ${round(v.requests)} requests, ${round(v.units)} units (${round(v.writeUnits)} written)`));
    return {
      notes: [
        ...parts,
        ...writes,
        `${rollouts} rollouts each of a DeploymentConfig of 1 and of 3 replicas (REV changed), on DynamoDB Local through the stream function's reconcilers, batched as the stream trigger does (window ${windowMs} ms, ${STREAM_SETTINGS.batchSize} records); the hosts are the pod sync over simulated containers.`,
        ...(deployCost ? [`${deploys} deploys (start-build, not counted; the build: the agent starts ${pace.startSeconds} s after RunTask, prints ${pace.logBytesPerSecond} bytes a second for ${pace.logSeconds} s, works ${pace.quietSeconds} s more, pushes; ECR's push event; the ImageChange trigger's rollout to 2 replicas), every reconciler of the stream function over simulated AWS adapters.`] : []),
        `Figures per rollout; $ per 1,000 at on-demand prices, US East: $${PRICES.rru * 1e6}/M RRU, $${PRICES.wru * 1e6}/M WRU, Lambda $${PRICES.lambdaRequest * 1e6}/M requests and $${PRICES.gbSecond}/GB-s (arm64); stream reads by a Lambda trigger are free. Durations are this machine's against DynamoDB Local.`,
      ],
      rows,
      figures,
    };
  } finally {
    await engine.stop();
  }
}
