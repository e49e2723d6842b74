// How a pod goes away. A pod bound to a host is never simply deleted: it is marked
// (deletionTimestamp), its host stops its container, and then the pod and the room it held on
// the host go in one write (releasePod), so capacity is given back exactly once.
import { NotFoundError, ignoring } from '../errors.ts';
import type { Host, Pod } from '../model/objects.ts';
import { isTerminating, podRequest } from '../model/pods.ts';
import { refOf } from '../model/types.ts';
import type { BindingStore } from '../scheduler/ports.ts';
import { retryOnConflict } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';

/**
 * Asks for a pod to go: a pod bound to a host is marked (its host stops the container, then
 * releases it); an unbound one is deleted. Idempotent; a pod already gone is fine.
 */
export async function terminatePod(store: ObjectStore, pod: Pod, now: Date = new Date()): Promise<void> {
  await retryOnConflict(async (i) => {
    const current = i === 0 ? pod : await store.get<Pod>(refOf(pod));
    if (!current || isTerminating(current)) return;
    if (!current.spec.host) await store.delete(refOf(current), { resourceVersion: current.metadata.resourceVersion });
    else await store.update({ ...current, metadata: { ...current.metadata, deletionTimestamp: now.toISOString() } });
  }).catch(ignoring(NotFoundError));
}

/**
 * Removes a pod whose container is gone and gives its room back to its host, in one write.
 * Re-reads both on a conflict; a pod already gone is fine; a host that is gone just means the
 * pod is deleted.
 */
export async function releasePod(store: ObjectStore, bindings: BindingStore, pod: Pod): Promise<void> {
  // NotFoundError: the host went in between (the pod is then deleted on its own) or the pod did.
  await retryOnConflict(async (i) => {
    const current = i === 0 ? pod : await store.get<Pod>(refOf(pod));
    if (!current) return;
    const hostName = current.spec.host;
    const host = hostName ? await store.get<Host>({ kind: 'Host', project: '', name: hostName }) : undefined;
    if (!host) {
      await store.delete(refOf(current), { resourceVersion: current.metadata.resourceVersion });
      return;
    }
    const r = podRequest(current);
    const requested = {
      cpuMilli: Math.max(0, host.status.requested.cpuMilli - r.cpuMilli),
      memoryBytes: Math.max(0, host.status.requested.memoryBytes - r.memoryBytes),
    };
    await bindings.release(current, host, requested);
  }, [NotFoundError]);
}
