// The webhook secret placeholder on its own, without the zod schemas of build-kinds.ts (which
// refuse it as a secret and re-export it), so that the CLI can recognise it without loading zod.

/** What readers who may not edit a BuildConfig see in place of each webhook secret (never a secret itself). */
export const REDACTED_SECRET = '<redacted>';
