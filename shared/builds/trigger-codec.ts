// BuildConfig's SpecCodec: webhook trigger secrets (GitHub, GitLab, Generic) are sealed with a
// SecretBox before the spec is stored and opened again for API answers to users who may edit the
// BuildConfig; users who may only view it see REDACTED instead (a secret starts builds), and
// the table, its backups and streams see them sealed.
import type { SpecCodec } from '../api/env.ts';
import { REDACTED_SECRET, type BuildConfigSpec, type BuildTrigger } from '../model/build-kinds.ts';
import { isSealed, type SecretBox } from '../secrets/ports.ts';

/** The secret of a webhook trigger, or undefined for ImageChange and ConfigChange. */
export function secretOf(t: BuildTrigger): string | undefined {
  if (t.type === 'GitHub') return t.github.secret;
  if (t.type === 'GitLab') return t.gitlab.secret;
  if (t.type === 'Generic') return t.generic.secret;
  return undefined;
}

function withSecret(t: BuildTrigger, secret: string): BuildTrigger {
  if (t.type === 'GitHub') return { ...t, github: { ...t.github, secret } };
  if (t.type === 'GitLab') return { ...t, gitlab: { ...t.gitlab, secret } };
  if (t.type === 'Generic') return { ...t, generic: { ...t.generic, secret } };
  return t;
}

/** What readers who may not edit a BuildConfig see in place of each webhook secret. */
export const REDACTED = REDACTED_SECRET;

/** The spec with every webhook trigger secret replaced by REDACTED. */
export function redactTriggerSecrets(spec: unknown): unknown {
  const s = spec as BuildConfigSpec;
  return { ...s, triggers: (s.triggers ?? []).map((t) => (secretOf(t) === undefined ? t : withSecret(t, REDACTED))) };
}

/** A stored secret in the clear: sealed ones are opened, any written before sealing pass as they are. */
export const openSecret = (box: SecretBox, value: string): Promise<string> => (isSealed(value) ? box.open(value) : Promise.resolve(value));

async function mapSecrets(spec: BuildConfigSpec, f: (secret: string) => Promise<string>): Promise<BuildConfigSpec> {
  const triggers = await Promise.all(
    (spec.triggers ?? []).map(async (t) => {
      const secret = secretOf(t);
      return secret === undefined ? t : withSecret(t, await f(secret));
    }),
  );
  return { ...spec, triggers };
}

/**
 * Seals trigger secrets on write and opens them on read. A secret the user sends unchanged
 * keeps its stored sealed form, so a PUT that changes nothing leaves the spec (and its
 * generation) as it was. What users send is always treated as plain text, even if it looks sealed.
 * @example createApi({ store, identity, codecs: { BuildConfig: triggerSecretsCodec(box) } })
 */
export function triggerSecretsCodec(box: SecretBox): SpecCodec {
  return {
    async seal(spec, stored) {
      const kept = await sealedByPlain(box, stored as BuildConfigSpec | undefined);
      return mapSecrets(spec as BuildConfigSpec, async (plain) => kept.get(plain) ?? box.seal(plain));
    },
    open: (spec) => mapSecrets(spec as BuildConfigSpec, (value) => openSecret(box, value)),
  };
}

/** The stored spec's sealed secrets by their plain text; ones that no longer open are left out. */
async function sealedByPlain(box: SecretBox, stored: BuildConfigSpec | undefined): Promise<Map<string, string>> {
  const sealed = (stored?.triggers ?? []).map(secretOf).filter((s): s is string => s !== undefined && isSealed(s));
  const opened = await Promise.allSettled(sealed.map((s) => box.open(s)));
  const kept = new Map<string, string>();
  opened.forEach((r, i) => r.status === 'fulfilled' && kept.set(r.value, sealed[i]!));
  return kept;
}
