// The Auto Scaling port: what the autoscaler asks of a group. AutoScalingGroups (shared/aws/
// auto-scaling.ts) is its adapter; the simulated fleet of the tests is another.
import type { ScalingGroup } from './types.ts';

export interface ScalingGroups {
  /** The group's bounds, desired capacity and instances (lifecycle state, scale-in protection). */
  describe(group: string): Promise<Omit<ScalingGroup, 'instanceCapacity'>>;
  /** Sets the desired capacity (scale-out). */
  setDesired(group: string, desired: number): Promise<void>;
  /** Sets or clears the instances' protection from the group's own scale-in. */
  protect(group: string, instanceIds: string[], protect: boolean): Promise<void>;
  /** Terminates one instance and lowers the desired capacity by one, so that it is not replaced. */
  terminate(instanceId: string): Promise<void>;
}
