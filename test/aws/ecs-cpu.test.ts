// A host filled exactly in millicores (what Berth's scheduler checks) is not overfilled in CPU
// units (what ECS checks when StartTask places a task on a container instance): the host's
// registered CPU and the pods' container cpu are converted with one rounding.
// AWS documentation: ECS API Reference, ContainerInstance registeredResources / remainingResources
// ("CPU", in CPU units, 1,024 per vCPU); StartTask failures "RESOURCE:CPU" when the instance has
// too few remaining units; ECS Developer Guide, task definition parameters, container "cpu".
import { describe, expect, it } from 'vitest';
import { ecsHostOf } from '../../shared/aws/ecs-hosts.ts';
import { taskDefinitionInput } from '../../shared/aws/ecs-pod-spec.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/0123456789abcdef0123456789abcdef';
const pod = (cpuMilli: number): PodSpecForHost => ({
  project: 'shop', deployment: 'web', revision: 1, pod: 'web-1-aaaaa', image: 'img', env: [], ports: [], resources: { cpuMilli, memoryBytes: 64 * 2 ** 20 },
});

/** What StartTask would do: place tasks while the instance's remaining CPU units allow. */
function placeOnInstance(registeredUnits: number, taskUnits: number[]): number {
  let remaining = registeredUnits;
  let placed = 0;
  for (const u of taskUnits) {
    if (u > remaining) break; // failures: [{ reason: 'RESOURCE:CPU' }]
    remaining -= u;
    placed++;
  }
  return placed;
}

describe('CPU of ECS hosts and pods', () => {
  it.each([
    [2048, 100],
    [2048, 250],
    [2048, 333],
    [4096, 100],
    [1024, 7],
    [8192, 1500],
  ])('a host of %i units filled with %im pods as the scheduler sees it takes every one of them in ECS', (units, cpuMilli) => {
    const host = ecsHostOf({ containerInstanceArn: INSTANCE, status: 'ACTIVE', agentConnected: true, attributes: [{ name: 'berth.address', value: '10.0.3.17' }], registeredResources: [{ name: 'CPU', integerValue: units }, { name: 'MEMORY', integerValue: 65536 }] })!;
    const fit = Math.floor(host.allocatable.cpuMilli / cpuMilli);
    expect(fit).toBeGreaterThan(0);
    const taskUnits = Array.from({ length: fit }, () => taskDefinitionInput(pod(cpuMilli), { region: 'eu-west-1', uid: 5 }).containerDefinitions![0]!.cpu!);
    expect(placeOnInstance(units, taskUnits)).toBe(fit);
  });

  it('the 20th 100m pod fits a 2-vCPU host, which registers 2000m', () => {
    const host = ecsHostOf({ containerInstanceArn: INSTANCE, attributes: [{ name: 'berth.address', value: '10.0.3.17' }], registeredResources: [{ name: 'CPU', integerValue: 2048 }, { name: 'MEMORY', integerValue: 7680 }] })!;
    expect(host.allocatable.cpuMilli).toBe(2000);
    const units = taskDefinitionInput(pod(100), { region: 'eu-west-1', uid: 5 }).containerDefinitions![0]!.cpu!;
    expect(20 * units).toBeLessThanOrEqual(2048);
  });
});
