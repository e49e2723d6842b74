// CPU units (ECS: 1,024 to a vCPU) and Berth's millicores, converted the same way on both sides:
// a host registers floor(units × 1000/1024) millicores and a pod's container asks for
// floor(millicores × 1024/1000) units. Both round down, so pods that fit a host in millicores
// (what the scheduler checks) also fit it in units (what StartTask checks): the sum of the
// rounded-down parts is never more than the rounded-down sum. Rounding the pod up instead made
// ECS refuse the 20th 100m pod on a 2-vCPU host (20 × 103 > 2048). Container cpu is a share
// (cpu.shares), not a cap, in bridge mode, so a pod gets at most 0.1 % less weight.
// AWS documentation: ECS Developer Guide, task definition parameters, "cpu" (container
// definitions: "the number of cpu units reserved for the container"; the minimum is 2).

/** ECS's smallest container cpu on Linux. */
export const MIN_CONTAINER_UNITS = 2;

/** Millicores a host of `units` CPU units offers the scheduler. */
export const milliOfUnits = (units: number): number => Math.floor((units * 1000) / 1024);

/**
 * CPU units of a pod's container. Pods under 2 millicores get ECS's minimum of 2 units, which
 * is more than they count for; no such pods are likely, and a host would fit 1,000 of them.
 */
export const unitsOfMilli = (cpuMilli: number): number => Math.max(MIN_CONTAINER_UNITS, Math.floor((cpuMilli * 1024) / 1000));
