// What a reader of a project's kind is shown of the stored objects (list, get, watch): a sealed
// spec opened, a quota's status computed from the project's usage counter, webhook secrets
// redacted for readers who may not change the object. Every such alteration is listed next to
// the code that makes it (SEALED_KINDS, REDACTED_KINDS, COMPUTED_STATUS_KINDS) and gathered here:
// a kind none of them names is shown exactly as stored, so a push notice may carry its objects
// as the table's stream saw them (shared/push/changes.ts). A kind that gains a codec, a redactor
// or a computed status joins its list, and stops being carried.
import type { Context } from 'hono';
import type { BerthObject } from '../model/types.ts';
import { withQuotaStatus, COMPUTED_STATUS_KINDS } from '../quota/status.ts';
import { SEALED_KINDS, type SealedKind } from '../secrets/codecs.ts';
import type { ApiDeps, ApiEnv, SpecCodec } from './env.ts';
import { canSeeSecrets, redactFor, REDACTED_KINDS } from './redaction.ts';

/** The kinds a read shows otherwise than stored. */
export const ALTERED_ON_READ: ReadonlySet<string> = new Set([...SEALED_KINDS, ...REDACTED_KINDS, ...COMPUTED_STATUS_KINDS]);

/** Whether every reader of `kind` is shown its objects exactly as stored (with the apiVersion the API adds). */
export const shownAsStored = (kind: string): boolean => !ALTERED_ON_READ.has(kind);

/** The codec that seals `kind`'s spec, where the kind is sealed and the platform has one. */
export const codecOf = (deps: Pick<ApiDeps, 'codecs'>, kind: string): SpecCodec | undefined =>
  (SEALED_KINDS as readonly string[]).includes(kind) ? deps.codecs?.[kind as SealedKind] : undefined;

export interface ReaderView {
  /** The object with its sealed spec opened (what a writer is answered with). */
  open<T extends BerthObject>(o: T): Promise<T>;
  /** The objects as the request's user may read them. */
  shown<T extends BerthObject>(c: Context<ApiEnv>, given: T[]): Promise<T[]>;
}

/** How objects of `kind` are shown by the API's routes. */
export function readerView(deps: ApiDeps, kind: string): ReaderView {
  const codec = codecOf(deps, kind);
  const open = async <T extends BerthObject>(o: T): Promise<T> => (codec ? { ...o, spec: await codec.open(o.spec) } : o);
  // Secrets in the spec (webhook secrets) only for those who may change the object.
  const redact = redactFor(kind);
  return {
    open,
    async shown(c, given) {
      // A quota's status.used is the project's usage counter as it is now.
      const objects = await withQuotaStatus(given, (p) => deps.store.usage(p));
      if (!redact || (await canSeeSecrets(deps, c.get('user'), c.req.param('project') ?? ''))) return Promise.all(objects.map(open));
      return objects.map((o) => ({ ...o, spec: redact(o.spec) }));
    },
  };
}
