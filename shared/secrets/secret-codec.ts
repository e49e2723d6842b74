// The Secret's SpecCodec: each value of `data` is sealed with a SecretBox before the spec is
// stored, and opened again for API answers (only edit and admin read Secrets). A value sent
// unchanged keeps its stored sealed form, so a PUT that changes nothing changes no value, and
// no rollout follows (the DeploymentConfigs using it hash the stored form).
import type { SpecCodec } from '../api/env.ts';
import type { SecretSpec } from '../model/config-kinds.ts';
import { isSealed, type SecretBox } from './ports.ts';

/** A stored value in the clear: sealed ones are opened, any written before sealing pass as they are. */
export const openValue = (box: SecretBox, value: string): Promise<string> => (isSealed(value) ? box.open(value) : Promise.resolve(value));

async function mapData(spec: SecretSpec, f: (key: string, value: string) => Promise<string>): Promise<SecretSpec> {
  const entries = await Promise.all(Object.entries(spec.data ?? {}).map(async ([k, v]) => [k, await f(k, v)] as const));
  return { ...spec, data: Object.fromEntries(entries) };
}

/**
 * Seals a Secret's values on write and opens them on read.
 * @example createApi({ store, identity, codecs: { Secret: secretDataCodec(box) } })
 */
export function secretDataCodec(box: SecretBox): SpecCodec {
  return {
    async seal(spec, stored) {
      const before = (stored as SecretSpec | undefined)?.data ?? {};
      return mapData(spec as SecretSpec, async (k, plain) => {
        const kept = before[k];
        if (kept !== undefined && isSealed(kept) && (await box.open(kept).catch(() => undefined)) === plain) return kept;
        return box.seal(plain);
      });
    },
    open: (spec) => mapData(spec as SecretSpec, (_k, v) => openValue(box, v)),
  };
}
