// The binding port: how a placement becomes durable. Binding writes two objects, the Pod (its
// host) and the Host (the capacity promised on it), and both writes must say what must be true,
// or two schedulers reading the same free room could both fill it. The object store updates one
// object at a time, so binding has its own port; DynamoBindingStore is its adapter.
import type { HostObject, PodObject, Resources } from './types.ts';

export interface Bound {
  pod: PodObject;
  host: HostObject;
}

export interface BindingStore {
  /**
   * In one all-or-nothing write: sets `pod.spec.host` to the host's name and the host's
   * `status.requested` to `requested`, on condition that the pod and the host still have the
   * resourceVersions they carry. Returns both as written (new resourceVersions; the pod's
   * generation one higher). When either has changed, throws ConflictError and writes nothing;
   * when either is gone, NotFoundError.
   */
  bind(pod: PodObject, host: HostObject, requested: Resources): Promise<Bound>;
  /**
   * In one all-or-nothing write: deletes the pod and sets the host's `status.requested` to
   * `requested` (the room the pod held given back), on condition that both still have the
   * resourceVersions they carry. Returns the host as written. ConflictError / NotFoundError as
   * for bind, writing nothing; so the room is given back exactly once.
   */
  release(pod: PodObject, host: HostObject, requested: Resources): Promise<HostObject>;
}
