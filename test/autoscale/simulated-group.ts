// A simulated Auto Scaling group for the autoscaler's tests: raising the desired capacity launches
// instances (Pending), `boot()` brings them into service and registers each as a Host with its
// lease, as an ECS container instance's discovery would; terminating takes the instance out of
// the group and its host stops renewing its lease. Every request is recorded.
import type { ScalingGroups } from '../../shared/autoscale/ports.ts';
import type { GroupInstance, ScalingGroup } from '../../shared/autoscale/types.ts';
import { registerHost, renewLease } from '../../shared/deploy/host-lifecycle.ts';
import type { Resources } from '../../shared/scheduler/types.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';

const MiB = 2 ** 20;

export class SimulatedGroup implements ScalingGroups {
  readonly calls: { op: string; args: unknown[] }[] = [];
  private readonly instances: GroupInstance[] = [];
  private desired = 0;
  private next = 1;

  constructor(
    private readonly store: ObjectStore,
    readonly name: string,
    private readonly bounds: { min: number; max: number },
    private readonly capacity: Resources,
    private readonly now: () => number,
  ) {}

  async describe(group: string): Promise<Omit<ScalingGroup, 'instanceCapacity'>> {
    this.calls.push({ op: 'describe', args: [group] });
    return { name: this.name, ...this.bounds, desired: this.desired, instances: this.instances.map((i) => ({ ...i })) };
  }

  async setDesired(group: string, desired: number): Promise<void> {
    this.calls.push({ op: 'setDesired', args: [group, desired] });
    if (desired < this.bounds.min || desired > this.bounds.max) throw new Error(`ValidationError: desired capacity ${desired} is outside ${this.bounds.min}–${this.bounds.max}`);
    this.desired = desired;
    // New instances join protected from scale-in, as the group's NewInstancesProtectedFromScaleIn says.
    while (this.instances.length < desired) this.instances.push({ instanceId: `i-${String(this.next++).padStart(17, '0')}`, lifecycleState: 'Pending', protectedFromScaleIn: true });
  }

  async protect(group: string, instanceIds: string[], protect: boolean): Promise<void> {
    this.calls.push({ op: 'protect', args: [group, instanceIds, protect] });
    for (const i of this.instances) if (instanceIds.includes(i.instanceId)) i.protectedFromScaleIn = protect;
  }

  async terminate(instanceId: string): Promise<void> {
    this.calls.push({ op: 'terminate', args: [instanceId] });
    const at = this.instances.findIndex((i) => i.instanceId === instanceId);
    if (at < 0) throw new Error(`ValidationError: instance ${instanceId} is not part of the group`);
    if (this.instances[at]!.protectedFromScaleIn) throw new Error(`instance ${instanceId} is protected from scale-in`);
    this.instances.splice(at, 1);
    this.desired--;
  }

  /** The instances launched since the last boot come into service and register their hosts; the others renew their leases. */
  async boot(): Promise<string[]> {
    const joined: string[] = [];
    for (const i of this.instances) {
      const name = hostOf(i.instanceId);
      if (i.lifecycleState === 'Pending') {
        i.lifecycleState = 'InService';
        joined.push(name);
        const spec = { provider: 'simulated' as const, address: '127.0.0.1', capacity: { cpu: `${this.capacity.cpuMilli}m`, memory: `${this.capacity.memoryBytes / MiB}Mi` }, unschedulable: false, instanceId: i.instanceId };
        await registerHost(this.store, { name, spec, allocatable: { ...this.capacity }, ready: true });
      }
      await renewLease(this.store, name, 60, new Date(this.now()));
    }
    return joined;
  }

  get size(): number {
    return this.instances.length;
  }
}

export const hostOf = (instanceId: string) => `sim-${instanceId}`;
