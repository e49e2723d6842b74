// DynamoDB refuses an item over 400 KB (attribute names and values, in UTF-8 bytes) with a
// ValidationException, which would surface as a 500. Objects are measured before they are
// written and refused with 413 naming the body, the same answer for every write path.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BerthError } from '../errors.ts';

export const MAX_ITEM_BYTES = 400 * 1024;

/** The item's size as DynamoDB counts it (strings, binaries, numbers, maps, lists; a close upper bound). */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.B !== undefined) return v.B.byteLength;
  if (v.N !== undefined) return Math.ceil(v.N.length / 2) + 1;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) return 3 + itemSize(v.M) + Object.keys(v.M).length;
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  return JSON.stringify(v).length;
}

export class ObjectTooLargeError extends BerthError {
  constructor(kind: string, name: string, bytes: number) {
    super(413, 'ObjectTooLarge', `${kind} "${name}" would take ${bytes} bytes stored; an object can take at most ${MAX_ITEM_BYTES}`, {
      details: [{ field: '(body)', message: `the object is over ${MAX_ITEM_BYTES} bytes stored` }],
      suggestion: 'keep large data out of objects (in an image, a volume or a ConfigMap per part)',
    });
  }
}
