export type { BindablePodSpec, HostInfo, HostObject, HostStatus, PodObject, PodRequest, Placement, Resources } from './types.ts';
export type { BindingStore, Bound } from './ports.ts';
export { place } from './place.ts';
export { Scheduler, type SchedulerOptions } from './scheduler.ts';
export { bindPod } from './bind.ts';
export { hostInfoOf } from './host-info.ts';
export { DynamoBindingStore, type DynamoBindingOptions } from './dynamo-binding.ts';
export { unschedulableMessage } from './policy.ts';
