// Binding one placed pod: checks the decision against the host as last read (ready, room left),
// then makes it durable with one conditional write of both objects. The scheduler's own view may
// be stale; the Host object's resourceVersion is what makes a double booking impossible.
import { ConflictError } from '../errors.ts';
import { formatRef, refOf } from '../model/types.ts';
import { cordoned } from './cordon.ts';
import { fitsIn } from './policy.ts';
import type { Bound, BindingStore } from './ports.ts';
import type { HostObject, PodObject, Resources } from './types.ts';

/**
 * Binds `pod`, asking for `request`, to `host`. Both objects must be as read from the store:
 * their resourceVersions are the write's condition. A pod already bound to this host is left as
 * it is (binding is idempotent). Throws ConflictError, writing nothing, when the pod is bound
 * elsewhere or being deleted, when the host is not ready, is cordoned or has no room left for the request,
 * or when either object has changed since it was read: read both again and place the pod again.
 *
 * @example
 *   const { host: next } = await bindPod(bindings, { pod, host, request: { cpuMilli: 250, memoryBytes: 256 * MiB } });
 *   // bind the next pod placed on this host against `next`, which carries the new resourceVersion
 */
export async function bindPod(store: BindingStore, input: { pod: PodObject; host: HostObject; request: Resources }): Promise<Bound> {
  const { pod, host, request } = input;
  const hostName = host.metadata.name;
  const bound = pod.spec.host;
  if (bound === hostName) return { pod, host };
  if (bound) throw new ConflictError(`${formatRef(refOf(pod))} is already bound to host ${bound}`, 'leave it there');
  if (pod.metadata.deletionTimestamp) throw new ConflictError(`${formatRef(refOf(pod))} is being deleted`, 'do not place it');
  if (!host.status.ready) throw new ConflictError(`host ${hostName} is not ready`, 'place the pod again');
  if (cordoned(host)) throw new ConflictError(`host ${hostName} is cordoned`, 'place the pod again');
  const { allocatable, requested } = host.status;
  const free = [allocatable.cpuMilli - requested.cpuMilli, allocatable.memoryBytes - requested.memoryBytes] as const;
  if (!fitsIn(...free, request.cpuMilli, request.memoryBytes)) {
    throw new ConflictError(
      `host ${hostName} has no room left for ${formatRef(refOf(pod))}: it asks for ${request.cpuMilli}m cpu and ${request.memoryBytes} bytes, ${free[0]}m and ${free[1]} bytes are free`,
      'place the pod again with the host as it is now',
    );
  }
  return store.bind(pod, host, {
    cpuMilli: requested.cpuMilli + request.cpuMilli,
    memoryBytes: requested.memoryBytes + request.memoryBytes,
  });
}
