// What one stream batch's notices carry, from records in the Lambda event's shape (DynamoDB
// Streams API Reference, "Record" and "StreamRecord"; AWS Lambda Developer Guide, "Using AWS
// Lambda with Amazon DynamoDB": binary attributes arrive base64-encoded), their items encoded as
// the store writes them.
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { changesOfRecords, MAX_NOTICE_BYTES } from '../../shared/push/changes.ts';
import { encode } from '../../shared/store/dynamo.ts';
import type { BerthObject } from '../../shared/model/types.ts';

const cm = (name: string, rv: string, data: Record<string, string> = {}): BerthObject =>
  ({ kind: 'ConfigMap', metadata: { name, project: 'shop', uid: `u-${name}`, resourceVersion: rv, generation: 1, creationTimestamp: '2026-01-01T00:00:00.000Z', labels: {}, annotations: {} }, spec: { data }, status: {} }) as BerthObject;

/** A record as Lambda hands it: attribute values in JSON, binary as base64. */
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', o: BerthObject): DynamoDBRecord {
  const item = encode(o);
  // Only the document is binary; every other attribute is the same in JSON.
  const image = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.B ? { B: Buffer.from(v.B).toString('base64') } : v]));
  return { eventName, dynamodb: { Keys: { pk: item.pk!, sk: item.sk! } as never, ...(eventName === 'REMOVE' ? { OldImage: image } : { NewImage: image }) } as never };
}

describe('a list notice carries', () => {
  it("each object at its last image, in the order of the last records, and the removed objects' names", () => {
    const [change] = changesOfRecords([record('INSERT', cm('a', '1001')), record('INSERT', cm('b', '1002')), record('MODIFY', cm('a', '1003', { k: 'v' })), record('REMOVE', cm('c', '1000'))]);

    expect(change!.carried).toEqual({ objects: [{ apiVersion: 'v1', ...cm('b', '1002') }, { apiVersion: 'v1', ...cm('a', '1003', { k: 'v' }) }], gone: ['c'] });
  });

  it('an object removed then made again in one batch as made, and one made then removed as gone', () => {
    const [change] = changesOfRecords([record('REMOVE', cm('a', '1')), record('INSERT', cm('a', '2')), record('INSERT', cm('b', '3')), record('REMOVE', cm('b', '3'))]);

    expect(change!.carried).toEqual({ objects: [{ apiVersion: 'v1', ...cm('a', '2') }], gone: ['b'] });
  });

  it('nothing when the batch together is larger than one notice, though each object alone would fit', () => {
    const big = (name: string) => cm(name, '1', { blob: Array.from({ length: 1800 }, (_, i) => `${name}${i}`).join(',') });
    const alone = changesOfRecords([record('INSERT', big('a'))]);
    expect(alone[0]!.carried?.objects).toHaveLength(1);
    expect(JSON.stringify(alone[0]!.carried).length * 3).toBeGreaterThan(MAX_NOTICE_BYTES);

    const [together] = changesOfRecords(['a', 'b', 'c'].map((n) => record('INSERT', big(n))));
    expect(together).toEqual({ project: 'shop', topic: 'configmaps' });
  });

  it('nothing when a record of the list cannot be read (no image, a document that is not one)', () => {
    const noImage = { ...record('INSERT', cm('b', '2')), dynamodb: { ...record('INSERT', cm('b', '2')).dynamodb, NewImage: undefined } } as DynamoDBRecord;
    const garbled = record('INSERT', cm('c', '3'));
    garbled.dynamodb!.NewImage!.doc = { B: Buffer.from('not brotli').toString('base64') } as never;

    for (const bad of [noImage, garbled]) expect(changesOfRecords([record('INSERT', cm('a', '1')), bad])).toEqual([{ project: 'shop', topic: 'configmaps' }]);
  });

  it("nothing of a kind shown otherwise than stored, while another list's notice in the batch still carries", () => {
    const secret = { ...cm('key', '5'), kind: 'Secret' } as BerthObject;
    const changes = changesOfRecords([record('INSERT', secret), record('INSERT', cm('a', '1'))]);

    expect(changes).toEqual(expect.arrayContaining([{ project: 'shop', topic: 'secrets' }, { project: 'shop', topic: 'configmaps', carried: { objects: [{ apiVersion: 'v1', ...cm('a', '1') }], gone: [] } }]));
    expect(JSON.stringify(changes)).not.toContain('"Secret"');
  });
});
