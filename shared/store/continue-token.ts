// `continue` tokens: the DynamoDB key a listing stopped at, as base64url JSON. A client can send
// anything back, so a token is taken only if it is a key of the very listing it is sent to (the
// same attributes, the same partition, inside the same prefix); anything else is a 400 naming
// `continue`, never a DynamoDB error (500) and never a start inside someone else's partition.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BadRequestError } from '../errors.ts';

type Item = Record<string, AttributeValue>;

/** What a token of one listing must look like. */
export interface TokenShape {
  /** Exactly these key attributes, each a string. */
  attributes: readonly string[];
  /** Attributes that must have these values (the listing's partition). */
  equal: Record<string, string>;
  /** An attribute that must begin with this (the listing's sort-key prefix). */
  prefix?: [string, string];
  /** An attribute that must sort below this (the listing's upper bound). */
  below?: [string, string];
}

export class InvalidContinueError extends BadRequestError {
  constructor() {
    super('InvalidContinue', 'continue: the token is not one this listing issued', 'start the listing again without continue', [{ field: 'continue', message: 'not a token of this listing' }]);
  }
}

export function encodeContinue(key: Item): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key a token stands for, checked against `shape`; undefined for no token. */
export function decodeContinue(token: string | undefined, shape: TokenShape): Item | undefined {
  if (token === undefined || token === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidContinueError();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidContinueError();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const strings = new Map<string, string>();
  for (const [k, v] of entries) {
    const s = v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 ? (v as { S?: unknown }).S : undefined;
    if (typeof s !== 'string' || s.length === 0 || s.length > 2048) throw new InvalidContinueError();
    strings.set(k, s);
  }
  if (strings.size !== shape.attributes.length || !shape.attributes.every((a) => strings.has(a))) throw new InvalidContinueError();
  if (Object.entries(shape.equal).some(([a, v]) => strings.get(a) !== v)) throw new InvalidContinueError();
  if (shape.prefix && !strings.get(shape.prefix[0])!.startsWith(shape.prefix[1])) throw new InvalidContinueError();
  if (shape.below && !(strings.get(shape.below[0])! < shape.below[1])) throw new InvalidContinueError();
  return Object.fromEntries([...strings].map(([k, s]) => [k, { S: s }]));
}
