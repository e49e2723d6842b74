// `npm run bench -- fleet [--hosts=N] [--pods=N] [--scale=N]`: a fleet of simulated hosts (1,000
// by default) already running `pods` pods (30,000), then one ReplicationController scaled from 0
// to `scale` replicas (1,000), through the real reconcilers (the DynamoDB Local stream poller and
// handler, as `npm run up` runs them) and the real store. Each host's side of pods is the real
// pod sync over simulated containers (shared/fleet/simulated-pods.ts), told when a pod is bound
// to its host. Measured: the time from the RC's write until every new pod is bound and Running,
// the store's item reads and writes per new pod (a client middleware counts every request of
// the control plane and the hosts), and the largest DynamoDB partition's share of that traffic
// (table and index partitions, by partition key). Stream reads are not counted.
import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalReconcilers } from '../agents/up/reconcilers.ts';
import { deployReconcilers } from '../shared/deploy/reconcilers.ts';
import { createPodSync } from '../shared/fleet/pod-sync.ts';
import { SimulatedPods } from '../shared/fleet/simulated-pods.ts';
import { startDynamoLocal } from '../shared/local/dynamodb-local.ts';
import { freePort } from '../shared/local/ports.ts';
import type { Pod, ReplicationController } from '../shared/model/objects.ts';
import type { BerthObject, ObjectRef } from '../shared/model/types.ts';
import type { Reconciler } from '../shared/reconcile/types.ts';
import { DynamoBindingStore } from '../shared/scheduler/dynamo-binding.ts';
import { createDynamoClient } from '../shared/store/client.ts';
import { DynamoObjectStore, encode, nextResourceVersion } from '../shared/store/dynamo.ts';
import { lookupItems } from '../shared/store/lookups.ts';
import { ensureTable } from '../shared/store/table.ts';
import { inBatches } from './_batches.ts';
import type { BenchResult } from './run.ts';

type Item = Record<string, AttributeValue>;
const TABLE = 'bench';
const GiB = 2 ** 30;

/** Item reads and writes per partition (`table <pk>` or `index byKind <kind>`), counted on a client. */
class Traffic {
  reads = 0;
  writes = 0;
  readonly partitions = new Map<string, number>();
  private add(partition: string, n: number, write: boolean): void {
    if (n <= 0) return;
    if (write) this.writes += n;
    else this.reads += n;
    this.partitions.set(partition, (this.partitions.get(partition) ?? 0) + n);
  }
  private writeItem(key: Item, gsi?: string): void {
    const pk = key.pk?.S ?? '';
    this.add(`table ${pk}`, 1, true);
    // An object's write also writes its byKind index entry (its kind: the partition of C#<kind>, else the sort key's prefix).
    const kind = gsi ?? (pk.startsWith('C#') ? pk.slice(2) : pk.startsWith('P#') && !key.sk?.S?.startsWith('~') ? key.sk?.S?.split('#')[0] : undefined);
    if (kind) this.add(`index byKind ${kind}`, 1, true);
  }
  count(command: string, input: Record<string, any>, output: Record<string, any>): void {
    switch (command) {
      case 'GetItemCommand':
        return this.add(`table ${input.Key.pk.S}`, 1, false);
      case 'QueryCommand': {
        const values = input.ExpressionAttributeValues ?? {};
        const partition = input.IndexName ? `index ${input.IndexName} ${values[':kind']?.S}` : `table ${values[':pk']?.S}`;
        return this.add(partition, Math.max(1, output.ScannedCount ?? 0), false);
      }
      case 'BatchGetItemCommand':
        for (const k of Object.values(input.RequestItems as Record<string, { Keys: Item[] }>)[0]!.Keys) this.add(`table ${k.pk!.S}`, 1, false);
        return;
      case 'PutItemCommand':
        return this.writeItem(input.Item, input.Item.gsi1pk?.S);
      case 'DeleteItemCommand':
        return this.writeItem(input.Key);
      case 'UpdateItemCommand':
        return this.writeItem(input.Key);
      case 'TransactWriteItemsCommand':
        for (const t of input.TransactItems) {
          if (t.Put) this.writeItem(t.Put.Item, t.Put.Item.gsi1pk?.S);
          else if (t.Delete) this.writeItem(t.Delete.Key);
          else if (t.Update) this.writeItem(t.Update.Key);
          else if (t.ConditionCheck) this.add(`table ${t.ConditionCheck.Key.pk.S}`, 1, false);
        }
        return;
    }
  }
  largest(): [string, number] {
    let top: [string, number] = ['', 0];
    for (const e of this.partitions) if (e[1] > top[1]) top = e;
    return top;
  }
  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.partitions.clear();
  }
}

function counted(client: DynamoDBClient, traffic: Traffic): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      traffic.count(context.commandName ?? '', args.input as Record<string, any>, out.output as Record<string, any>);
      return out;
    },
    { step: 'initialize', name: 'benchTraffic' },
  );
  return client;
}

/** An object as the store keeps it, for loading the fleet that already runs (its lookups with it). */
function stored(o: Omit<BerthObject, 'metadata'> & { metadata: Partial<BerthObject['metadata']> & { name: string; project: string } }): Item[] {
  const full: BerthObject = {
    ...o,
    metadata: { uid: o.metadata.name, resourceVersion: nextResourceVersion(), generation: 1, creationTimestamp: new Date().toISOString(), labels: {}, annotations: {}, ...o.metadata },
  };
  return [encode(full), ...lookupItems(full)];
}

async function putAll(client: DynamoDBClient, items: Item[]): Promise<void> {
  await inBatches(items, 25, 8, async (batch) => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: requests } }));
      requests = (out.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
    }
  });
}

const container = { name: 'web', image: 'registry.local/app@sha256:1', env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } } };

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const hostCount = arg('hosts', 1_000);
  const podCount = arg('pods', 30_000);
  const scale = Math.min(arg('scale', 1_000), 1_000);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const engine = await startDynamoLocal({ port: await freePort() });
  const traffic = new Traffic();
  try {
    const loader = createDynamoClient({ endpoint: engine.endpoint });
    const streamArn = await ensureTable(loader, TABLE);
    const watcher = new DynamoObjectStore({ client: loader, tableName: TABLE });
    const client = counted(createDynamoClient({ endpoint: engine.endpoint }), traffic);
    const store = new DynamoObjectStore({ client, tableName: TABLE });
    const bindings = new DynamoBindingStore({ client, tableName: TABLE });

    // The fleet as it runs: hosts of 16 cores / 64 GiB, `podCount` pods bound and Running over 100 projects.
    const t0 = performance.now();
    const hostName = (h: number) => `host-${String(h).padStart(4, '0')}`;
    const projects = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
    const perHost = new Map<string, number>();
    const items: Item[] = [];
    for (const p of [...projects, 'scale']) items.push(...stored({ kind: 'Project', metadata: { name: p, project: '' }, spec: {}, status: { phase: 'Active' } }));
    for (let i = 0; i < podCount; i++) {
      const host = hostName(i % hostCount);
      perHost.set(host, (perHost.get(host) ?? 0) + 1);
      const project = projects[i % projects.length]!;
      const labels = { app: `app-${i % 500}`, deployment: `app-${i % 500}-1`, deploymentconfig: `app-${i % 500}` };
      items.push(...stored({
        kind: 'Pod',
        metadata: { name: `app-${i}`, project, labels, finalizers: ['berth.io/host'] },
        spec: { containers: [container], restartPolicy: 'Always', terminationGracePeriodSeconds: 10, host },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      }));
    }
    for (let h = 0; h < hostCount; h++) {
      const running = perHost.get(hostName(h)) ?? 0;
      items.push(...stored({
        kind: 'Host',
        metadata: { name: hostName(h), project: '' },
        spec: { provider: 'simulated', address: '127.0.0.1', capacity: { cpu: '16', memory: '64Gi' }, unschedulable: false },
        status: { allocatable: { cpuMilli: 16_000, memoryBytes: 64 * GiB }, requested: { cpuMilli: running * 100, memoryBytes: running * 128 * 2 ** 20 }, ready: true, conditions: [] },
      }));
      items.push(...stored({ kind: 'HostLease', metadata: { name: hostName(h), project: '' }, spec: { renewTime: new Date(Date.now() + 3600_000).toISOString(), leaseDurationSeconds: 3600 }, status: {} }));
    }
    await putAll(loader, items);
    const rcRef: ObjectRef = { kind: 'ReplicationController', project: 'scale', name: 'web-1' };
    await watcher.create<ReplicationController>({
      kind: 'ReplicationController',
      metadata: { name: rcRef.name, project: rcRef.project, labels: {} },
      spec: { replicas: 0, minReadySeconds: 0, selector: { deployment: 'web-1' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 } } } as never,
      status: { phase: 'Running', replicas: 0, readyReplicas: 0, availableReplicas: 0 },
    });
    const loadMs = performance.now() - t0;

    // Each host's side of pods: the real pod sync over simulated containers, run when a pod is
    // bound to the host (one pass at a time per host; a pass asked for meanwhile runs after it).
    const syncs = new Map<string, ReturnType<typeof createPodSync>>();
    const passes = new Map<string, { running: Promise<void>; again: boolean }>();
    let failures = 0;
    const syncOf = (host: string) => {
      let s = syncs.get(host);
      if (!s) syncs.set(host, (s = createPodSync({ store, bindings, hostName: host, address: '127.0.0.1', containers: new SimulatedPods(), uidFor: async () => 1_000_100_000 })));
      return s;
    };
    const tell = (host: string) => {
      const p = passes.get(host);
      if (p) {
        p.again = true;
        return;
      }
      const state = { again: false, running: Promise.resolve() };
      const loop = async () => {
        do {
          state.again = false;
          await syncOf(host).syncHost().catch(() => failures++);
        } while (state.again);
        passes.delete(host);
      };
      passes.set(host, state);
      state.running = loop();
    };
    const hostAgents: Reconciler = {
      name: 'simulated-host-agents',
      kinds: ['Pod'],
      async reconcile(ref) {
        const pod = await store.get<Pod>(ref);
        if (pod?.spec.host && pod.status?.phase !== 'Running') tell(pod.spec.host);
        return {};
      },
      async *resync() {},
    };
    const reconcilers = [...deployReconcilers(store, bindings), hostAgents];
    const running = await startLocalReconcilers({ reconcilers, endpoint: engine.endpoint, streamArn, resyncMs: 3600_000 });
    try {
      await running.resync();
      traffic.reset();
      const start = performance.now();
      const rc = (await watcher.get<ReplicationController>(rcRef))!;
      await store.update({ ...rc, spec: { ...rc.spec, replicas: scale } });
      let bound = 0;
      let runningPods = 0;
      let boundMs = 0;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const pods = (await watcher.list<Pod>('Pod', 'scale', { labels: { deployment: 'web-1' }, limit: 1000 })).items;
        bound = pods.filter((p) => p.spec.host).length;
        runningPods = pods.filter((p) => p.spec.host && p.status?.phase === 'Running').length;
        if (bound >= scale && !boundMs) boundMs = performance.now() - start;
        if (runningPods >= scale) break;
        if (performance.now() - start > 30 * 60_000) throw new Error(`scale-up did not finish in 30 min: ${bound} bound, ${runningPods} running`);
      }
      const scaleMs = performance.now() - start;
      const [topPartition, topItems] = traffic.largest();
      const total = traffic.reads + traffic.writes;
      const figures = {
        hosts: hostCount,
        pods: podCount,
        scaleUp: scale,
        loadS: Math.round(loadMs / 1000),
        boundMs: Math.round(boundMs),
        scaleUpMs: Math.round(scaleMs),
        readsPerPod: +(traffic.reads / scale).toFixed(1),
        writesPerPod: +(traffic.writes / scale).toFixed(1),
        largestPartition: topPartition,
        largestPartitionShare: +(topItems / total).toFixed(3),
        hostSyncFailures: failures,
      };
      const top = [...traffic.partitions].sort((a, b) => b[1] - a[1]).slice(0, 5);
      return {
        notes: [
          `${hostCount} simulated hosts running ${podCount} pods loaded into DynamoDB Local in ${figures.loadS} s; one RC scaled 0 → ${scale} through the stream-driven reconcilers and each host's pod sync.`,
          `Busiest partitions (items read + written): ${top.map(([p, n]) => `${p} ${(100 * n / total).toFixed(1)} %`).join(', ')}.`,
        ],
        rows: [
          { figure: `scale-up ${scale} pods: all bound`, value: `${(boundMs / 1000).toFixed(1)} s` },
          { figure: `scale-up ${scale} pods: all bound and Running`, value: `${(scaleMs / 1000).toFixed(1)} s` },
          { figure: 'store items read per new pod', value: figures.readsPerPod },
          { figure: 'store items written per new pod', value: figures.writesPerPod },
          { figure: 'largest partition', value: topPartition },
          { figure: "largest partition's share of items read + written", value: `${(100 * figures.largestPartitionShare).toFixed(1)} %` },
        ],
        figures,
      };
    } finally {
      await running.stop();
      await Promise.all([...passes.values()].map((p) => p.running));
    }
  } finally {
    await engine.stop();
  }
}
