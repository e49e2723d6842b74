// Every kind's SpecCodec over one SecretBox: what the API seals at rest (webhook secrets of
// BuildConfigs, the values of Secrets). The one list the wirings pass to createApi.
import type { SpecCodec } from '../api/env.ts';
import { triggerSecretsCodec } from '../builds/trigger-codec.ts';
import type { SecretBox } from './ports.ts';
import { secretDataCodec } from './secret-codec.ts';

/** The kinds whose spec is sealed at rest and opened on read: what is stored is not what a reader is shown (shared/api/shown.ts). */
export const SEALED_KINDS = ['BuildConfig', 'Secret'] as const;
export type SealedKind = (typeof SEALED_KINDS)[number];

/** @example createApi({ store, identity, codecs: specCodecs(box) }) */
export function specCodecs(box: SecretBox): Record<SealedKind, SpecCodec> {
  return { BuildConfig: triggerSecretsCodec(box), Secret: secretDataCodec(box) };
}
