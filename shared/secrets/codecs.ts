// Every kind's SpecCodec over one SecretBox: what the API seals at rest (webhook secrets of
// BuildConfigs, the values of Secrets). The one list the wirings pass to createApi.
import type { SpecCodec } from '../api/env.ts';
import { triggerSecretsCodec } from '../builds/trigger-codec.ts';
import type { SecretBox } from './ports.ts';
import { secretDataCodec } from './secret-codec.ts';

/** @example createApi({ store, identity, codecs: specCodecs(box) }) */
export function specCodecs(box: SecretBox): Partial<Record<string, SpecCodec>> {
  return { BuildConfig: triggerSecretsCodec(box), Secret: secretDataCodec(box) };
}
