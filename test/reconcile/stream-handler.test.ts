// The stream handler in the Lambda event shape: routing by kind, batch item failures, terminal
// errors, requeues.
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { TerminalError } from '../../shared/errors.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import { keyOf } from '../../shared/store/keys.ts';
import { createStreamHandler } from '../../shared/reconcile/stream.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';

function event(refs: ObjectRef[]): DynamoDBStreamEvent {
  return {
    Records: refs.map((r, i) => {
      const k = keyOf(r);
      return { eventName: 'MODIFY', dynamodb: { SequenceNumber: String(100 + i), Keys: { pk: { S: k.pk }, sk: { S: k.sk } } } };
    }),
  } as DynamoDBStreamEvent;
}

function recorder(kinds: string[], behave: (ref: ObjectRef) => Promise<{ requeueAfter?: number }> = async () => ({})) {
  const seen: string[] = [];
  const r: Reconciler = {
    name: 'test',
    kinds,
    async reconcile(ref) {
      seen.push(`${ref.kind}/${ref.project}/${ref.name}`);
      return behave(ref);
    },
  };
  return { r, seen };
}

const cm = (name: string): ObjectRef => ({ kind: 'ConfigMap', project: 'p', name });

describe('stream handler', () => {
  it('calls the reconcilers that watch each record kind, in order', async () => {
    const a = recorder(['ConfigMap']);
    const b = recorder(['Project']);
    const res = await createStreamHandler([a.r, b.r])(event([cm('one'), { kind: 'Project', project: '', name: 'p' }, cm('two')]));
    expect(res.batchItemFailures).toEqual([]);
    expect(a.seen).toEqual(['ConfigMap/p/one', 'ConfigMap/p/two']);
    expect(b.seen).toEqual(['Project//p']);
  });

  it('reports the first record that keeps failing as a batch item failure (the batch comes again from there)', async () => {
    const a = recorder(['ConfigMap'], async (ref) => {
      if (ref.name === 'bad') throw new Error('engine down');
      return {};
    });
    const res = await createStreamHandler([a.r], { attempts: 2, baseDelayMs: 1 })(event([cm('ok'), cm('bad'), cm('after')]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(a.seen.filter((s) => s === 'ConfigMap/p/bad')).toHaveLength(2);
    expect(a.seen).toContain('ConfigMap/p/ok');
  });

  it('reports the earliest of several failing records', async () => {
    const a = recorder(['ConfigMap'], async (ref) => {
      // The later record fails first: the earlier one is still what is reported.
      if (ref.name === 'bad-early') await new Promise((r) => setTimeout(r, 30));
      if (ref.name.startsWith('bad')) throw new Error('engine down');
      return {};
    });
    const res = await createStreamHandler([a.r], { attempts: 1, baseDelayMs: 1 })(event([cm('ok'), cm('bad-early'), cm('bad-late')]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
  });

  it('reconciles an object once per batch however many records it has', async () => {
    const a = recorder(['ConfigMap']);
    const res = await createStreamHandler([a.r])(event([cm('web'), cm('db'), cm('web'), cm('web')]));
    expect(res.batchItemFailures).toEqual([]);
    expect(a.seen).toEqual(['ConfigMap/p/web', 'ConfigMap/p/db']);
  });

  it('a slow reconcile does not hold up the other objects of the batch', async () => {
    let fastDone!: () => void;
    const fast = new Promise<void>((r) => (fastDone = r));
    const a = recorder(['ConfigMap'], async (ref) => {
      // "slow" finishes only once "fast", a later record, was reconciled: one at a time would never get there.
      if (ref.name === 'slow') await Promise.race([fast, new Promise((_, no) => setTimeout(() => no(new TerminalError('held up')), 2000))]);
      else fastDone();
      return {};
    });
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, m: string) => warnings.push(m), error: () => undefined } as never;
    const res = await createStreamHandler([a.r], { logger })(event([cm('slow'), cm('fast')]));
    expect(res.batchItemFailures).toEqual([]);
    expect(warnings).toEqual([]);
    expect(a.seen).toEqual(['ConfigMap/p/slow', 'ConfigMap/p/fast']);
  });

  it('reconciles one at a time with concurrency 1', async () => {
    let running = 0;
    let most = 0;
    const a = recorder(['ConfigMap'], async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return {};
    });
    await createStreamHandler([a.r], { concurrency: 1 })(event([cm('a'), cm('b'), cm('c')]));
    expect(a.seen).toHaveLength(3);
    expect(most).toBe(1);
  });

  it('a transient failure that succeeds on retry is not reported', async () => {
    let calls = 0;
    const a = recorder(['ConfigMap'], async () => {
      if (++calls === 1) throw new Error('blip');
      return {};
    });
    const res = await createStreamHandler([a.r], { attempts: 3, baseDelayMs: 1 })(event([cm('x')]));
    expect(res.batchItemFailures).toEqual([]);
    expect(calls).toBe(2);
  });

  it('a terminal error is not retried and does not block the batch', async () => {
    const a = recorder(['ConfigMap'], async (ref) => {
      if (ref.name === 'hopeless') throw new TerminalError('spec can never work');
      return {};
    });
    const res = await createStreamHandler([a.r], { attempts: 3, baseDelayMs: 1 })(event([cm('hopeless'), cm('fine')]));
    expect(res.batchItemFailures).toEqual([]);
    expect(a.seen).toEqual(['ConfigMap/p/hopeless', 'ConfigMap/p/fine']);
  });

  it('hands requeue requests to the runtime', async () => {
    const a = recorder(['ConfigMap'], async () => ({ requeueAfter: 5000 }));
    const requeued: [string, number][] = [];
    await createStreamHandler([a.r], { onRequeue: (r, ref, ms) => requeued.push([ref.name, ms]) })(event([cm('later')]));
    expect(requeued).toEqual([['later', 5000]]);
  });

  it('ignores records whose keys are not objects', async () => {
    const a = recorder(['ConfigMap']);
    const res = await createStreamHandler([a.r])({ Records: [{ dynamodb: { Keys: { pk: { S: 'X#1' }, sk: { S: 'y' } } } }] } as DynamoDBStreamEvent);
    expect(res.batchItemFailures).toEqual([]);
    expect(a.seen).toEqual([]);
  });
});
