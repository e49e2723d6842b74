// The local reconciler runtime: the DynamoDB Local stream poller feeding the Lambda stream
// handler, a periodic resync, and timers for requeueAfter (which on AWS the resync schedule
// serves).
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from 'pino';
import { formatRef, type ObjectRef } from '../../shared/model/types.ts';
import { StreamPoller } from '../../shared/local/stream-poller.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { runReconcile } from '../../shared/reconcile/runner.ts';
import { createStreamHandler, type StreamHandlerOptions } from '../../shared/reconcile/stream.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import type { BindingStore } from '../../shared/scheduler/ports.ts';
import { pendingUnbound } from '../../shared/scheduler/reconciler.ts';
import { WAKE_KIND, type IdleSignalWriter } from '../../shared/idling/signals.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import type { Pod } from '../../shared/model/objects.ts';

export interface LocalReconcilersOptions {
  reconcilers: Reconciler[];
  endpoint: string;
  streamArn: string;
  resyncMs: number;
  logger?: Logger;
  /** Told of each batch's changes (push connections). */
  push?: StreamHandlerOptions['push'];
}

export interface RunningReconcilers {
  stop(): Promise<void>;
  /** Reads the stream now rather than after the current pause (something was just written). */
  wake(): void;
  /** Runs one resync now (tests and start-up). */
  resync(): Promise<void>;
}

/** The longest timer kept; anything later is left to the periodic resync. */
const MAX_TIMER_MS = 6 * 3600 * 1000;

export async function startLocalReconcilers(opts: LocalReconcilersOptions): Promise<RunningReconcilers> {
  const timers = new Map<string, NodeJS.Timeout>();
  const logger = opts.logger;
  const requeue = (r: Reconciler, ref: ObjectRef, afterMs: number) => {
    if (afterMs > MAX_TIMER_MS) return;
    const key = `${r.name} ${formatRef(ref)}`;
    clearTimeout(timers.get(key));
    const timer = setTimeout(async () => {
      timers.delete(key);
      const outcome = await runReconcile(r, ref, { logger });
      if (outcome.ok && outcome.result.requeueAfter !== undefined) requeue(r, ref, outcome.result.requeueAfter);
    }, Math.max(afterMs, 10));
    timer.unref();
    timers.set(key, timer);
  };
  const handler = createStreamHandler(opts.reconcilers, { logger, onRequeue: requeue, ...(opts.push ? { push: opts.push } : {}) });
  const client = new DynamoDBStreamsClient({ endpoint: opts.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const poller = new StreamPoller({ client, streamArn: opts.streamArn, handler, logger });
  await poller.start();
  const resync = async () => {
    const summary = await resyncAll(opts.reconcilers, { logger, onRequeue: requeue });
    if (summary.reconciled || summary.failed) logger?.debug(summary, 'resync');
  };
  let resyncing = resync();
  const interval = setInterval(() => {
    resyncing = resyncing.then(resync, resync).catch((err) => logger?.error({ err }, 'resync failed'));
  }, opts.resyncMs);
  return {
    wake: () => poller.wake(),
    resync: () => (resyncing = resyncing.then(resync, resync)),
    async stop() {
      clearInterval(interval);
      for (const t of timers.values()) clearTimeout(t);
      await poller.stop();
      await resyncing.catch(() => undefined);
      client.destroy();
    },
  };
}

const WRITES = ['create', 'createMany', 'update', 'replace', 'updateStatus', 'delete'] as const;

/**
 * Calls `written` after each write through `store` succeeds, with the object written when the
 * store returns it (the store itself, its methods wrapped): the all-in-one platform wakes its
 * stream reader, so a change made in this process reaches the next reconciler without waiting
 * for the next read, and hands Service and Route changes to its router at once.
 */
export function onWrites<S extends ObjectStore>(store: S, written: (obj?: BerthObject) => void): S {
  for (const m of WRITES) {
    const write = (store[m] as (...a: unknown[]) => Promise<unknown>).bind(store);
    (store as Record<string, unknown>)[m] = async (...args: unknown[]) => {
      const out = await write(...args);
      written(out && typeof out === 'object' && 'kind' in out ? (out as BerthObject) : undefined);
      return out;
    };
  }
  return store;
}

/**
 * A pod write that can change its Services' endpoints: one that carries its readiness (the host
 * agent's status writes) or marks it for deletion. A new pod, or one just bound, has neither.
 */
export function readinessWrite(pod: Pod): boolean {
  return Boolean(pod.metadata.deletionTimestamp) || Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready'));
}

/**
 * A write of an object whose spec its controller has not seen yet (its generation is past the
 * status's observedGeneration): a user's change, not the controller's own status write.
 */
export function unobservedSpec(obj: BerthObject): boolean {
  return obj.metadata.generation !== (obj.status as { observedGeneration?: number } | undefined)?.observedGeneration;
}

/** The router's signals, with each wake also handed to `wake` (the idler) once it is written. */
export function wakesAtOnce(signals: IdleSignalWriter, wake: (ref: ObjectRef) => void): IdleSignalWriter {
  return {
    reportActivity: (services, at) => signals.reportActivity(services, at),
    async requestWake(service, at) {
      await signals.requestWake(service, at);
      wake({ kind: WAKE_KIND, project: service.project, name: service.service });
    },
  };
}

/** A pod waiting for a host that the scheduler has not tried yet (no PodScheduled condition): a new one. */
export function newUnboundPod(pod: Pod): boolean {
  return pendingUnbound(pod) && !pod.status?.conditions?.some((c) => c.type === 'PodScheduled');
}

/** Calls `bound` with each pod the scheduler binds through `bindings` (wrapped in place), once the binding is written. */
export function onBinds<B extends BindingStore>(bindings: B, bound: (pod: { project: string; name: string; host: string }) => void): B {
  const bind = bindings.bind.bind(bindings);
  bindings.bind = async (pod, host, requested) => {
    const out = await bind(pod, host, requested);
    bound({ project: pod.metadata.project, name: pod.metadata.name, host: host.metadata.name });
    return out;
  };
  return bindings;
}

/**
 * Tells the host agent of this process to look at its pods whenever a pod changes (bound to it,
 * being deleted), and at a project's Services' proxies whenever a Service changes (its
 * endpoints), instead of at its next timed pass; that pass stays as the safety net.
 */
export function hostAgentKicks(kick: (pod: { project: string; name: string }) => void, kickServices?: (project: string) => void): Reconciler {
  return {
    name: 'host-agent',
    kinds: kickServices ? ['Pod', 'Service'] : ['Pod'],
    async reconcile(ref) {
      if (ref.kind === 'Service') kickServices?.(ref.project);
      else kick({ project: ref.project, name: ref.name });
      return {};
    },
  };
}
