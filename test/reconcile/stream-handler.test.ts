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

  it('reports the first record that keeps failing as a batch item failure and stops there', async () => {
    const a = recorder(['ConfigMap'], async (ref) => {
      if (ref.name === 'bad') throw new Error('engine down');
      return {};
    });
    const res = await createStreamHandler([a.r], { attempts: 2, baseDelayMs: 1 })(event([cm('ok'), cm('bad'), cm('after')]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(a.seen).toEqual(['ConfigMap/p/ok', 'ConfigMap/p/bad', 'ConfigMap/p/bad']);
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
