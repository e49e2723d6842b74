// The autoscaler on a simulated fleet, with the real scheduler and bindings on DynamoDB Local:
// pods that fit nowhere grow the Auto Scaling group by the hosts they need, the new hosts
// register and the pods are bound; once the pods have gone, the idle hosts are cordoned (the
// scheduler places nothing there) after the quiet period, then terminated, down to the group's
// minimum, and their Hosts forgotten once silent. The clock is injected.
// AWS documentation the simulated group follows: Amazon EC2 Auto Scaling User Guide, "Use instance
// scale-in protection" (new instances protected, protection lifted before a scale-in) and the API
// Reference for SetDesiredCapacity, SetInstanceProtection and TerminateInstanceInAutoScalingGroup.
import { beforeAll, describe, expect, it } from 'vitest';
import { createAutoscaler } from '../../shared/autoscale/autoscaler.ts';
import { DEFAULT_POLICY } from '../../shared/autoscale/plan.ts';
import { DRAINING_ANNOTATION } from '../../shared/autoscale/types.ts';
import { hostLifecycleReconciler } from '../../shared/deploy/host-lifecycle.ts';
import { releasePod } from '../../shared/deploy/pods.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { schedulerReconciler } from '../../shared/scheduler/reconciler.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { hostOf, SimulatedGroup } from './simulated-group.ts';

const MiB = 2 ** 20;
const GiB = 1024 * MiB;
const HOST = { cpuMilli: 2000, memoryBytes: 4 * GiB };
let t: TestTable;
let clock = Date.parse('2026-12-02T10:00:00Z');
const now = () => clock;

async function pod(name: string, cpu = '1000m', memory = '1Gi'): Promise<Pod> {
  return t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name, project: 'demo', labels: { deploymentconfig: 'web', deployment: 'web-1' } },
    spec: { containers: [{ name: 'c', image: 'x', env: [], ports: [], resources: { requests: { cpu, memory }, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
}
const pods = async () => (await t.store.list<Pod>('Pod', 'demo')).items;
const hosts = async () => (await t.store.list<Host>('Host', '')).items;

describe('the autoscaler on a simulated fleet', () => {
  let group: SimulatedGroup;
  let bindings: DynamoBindingStore;
  let scheduler: ReturnType<typeof schedulerReconciler>;
  let autoscale: ReturnType<typeof createAutoscaler>;
  const schedule = async () => {
    for (const p of await pods()) await scheduler.reconcile({ kind: 'Pod', project: 'demo', name: p.metadata.name });
  };

  beforeAll(async () => {
    t = await freshTable();
    await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
    bindings = new DynamoBindingStore({ client: t.client, tableName: t.tableName });
    scheduler = schedulerReconciler({ store: t.store, bindings, now });
    group = new SimulatedGroup(t.store, 'tenant', { min: 1, max: 5 }, HOST, now);
    autoscale = createAutoscaler({ store: t.store, groups: group, group: 'tenant', now });
    await group.setDesired('tenant', 1);
    await group.boot();
  });

  it('pending pods that fit nowhere grow the group by the hosts they need, and are bound once the hosts join', async () => {
    for (let i = 1; i <= 5; i++) await pod(`web-1-p${i}`);
    await schedule();
    expect((await pods()).filter((p) => !p.spec.host)).toHaveLength(3);

    const pass = await autoscale();
    // Three pods of 1 cpu on hosts of 2 cpus: two more hosts, not three.
    expect(pass.actions).toEqual([{ type: 'set-desired', desired: 3, reason: '3 pending pods need 2 more hosts' }]);
    // While they boot, the next pass asks for nothing more.
    expect((await autoscale()).actions).toEqual([]);

    expect(await group.boot()).toHaveLength(2);
    await schedule();
    const bound = await pods();
    expect(bound.every((p) => p.spec.host)).toBe(true);
    const fleet = await hosts();
    expect(fleet).toHaveLength(3);
    for (const h of fleet) expect(h.status.requested.cpuMilli).toBeLessThanOrEqual(h.status.allocatable.cpuMilli);
    expect(new Set(bound.map((p) => p.spec.host))).toEqual(new Set(fleet.map((h) => h.metadata.name)));
    expect(group.calls.filter((c) => c.op === 'setDesired').map((c) => c.args)).toEqual([['tenant', 1], ['tenant', 3]]);
  });

  it('an idle fleet shrinks to its minimum after the quiet period, never taking a host with pods', async () => {
    // Four of the five pods go; the one left keeps its host.
    const all = await pods();
    const kept = all[0]!;
    for (const p of all.slice(1)) await releasePod(t.store, bindings, p);
    const keptHost = (await t.store.get<Pod>({ kind: 'Pod', project: 'demo', name: kept.metadata.name }))!.spec.host!;

    const marked = await autoscale();
    expect(marked.actions.filter((a) => a.type === 'mark-idle').map((a) => a.type === 'mark-idle' && a.host).sort()).toEqual((await hosts()).map((h) => h.metadata.name).filter((n) => n !== keptHost).sort());
    clock += DEFAULT_POLICY.quietMs - 1000;
    expect((await autoscale()).actions).toEqual([]);

    clock += 1000;
    await group.boot();
    const cordon = await autoscale();
    const cordoned = cordon.actions.filter((a) => a.type === 'cordon').map((a) => a.type === 'cordon' && a.host);
    expect(cordoned).toHaveLength(2);
    expect(cordoned).not.toContain(keptHost);
    // Cordoned: a new pod goes to the one host left open, although the cordoned ones are emptier.
    await pod('web-1-late', '100m', '128Mi');
    await schedule();
    expect((await t.store.get<Pod>({ kind: 'Pod', project: 'demo', name: 'web-1-late' }))!.spec.host).toBe(keptHost);

    clock += DEFAULT_POLICY.settleMs;
    await group.boot();
    const retire = await autoscale();
    expect(retire.actions.filter((a) => a.type === 'terminate').map((a) => a.type === 'terminate' && hostOf(a.instanceId)).sort()).toEqual([...cordoned].sort());
    expect(group.size).toBe(1);
    expect((await group.describe('tenant')).desired).toBe(1);

    // Terminated instances stop renewing their leases: once the hosts are not ready, they are forgotten.
    clock += 5 * 60_000;
    await group.boot();
    const lifecycle = hostLifecycleReconciler({ store: t.store, bindings, now });
    for (const h of await hosts()) await lifecycle.reconcile({ kind: 'Host', project: '', name: h.metadata.name });
    const forgot = await autoscale();
    expect(forgot.actions.filter((a) => a.type === 'forget').map((a) => a.type === 'forget' && a.host).sort()).toEqual([...cordoned].sort());
    const left = await hosts();
    expect(left.map((h) => h.metadata.name)).toEqual([keptHost]);
    expect(left[0]!.metadata.annotations?.[DRAINING_ANNOTATION]).toBeUndefined();
    expect((await pods()).every((p) => p.spec.host === keptHost)).toBe(true);
  });
});
