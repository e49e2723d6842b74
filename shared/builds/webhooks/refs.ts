// Which pushes a BuildConfig builds: the branch its `source.git.ref` names or, with no ref, the
// repository's default branch (master or main when the payload does not say which).
const HEADS = 'refs/heads/';
const strip = (ref: string) => (ref.startsWith(HEADS) ? ref.slice(HEADS.length) : ref);

/** The branch (or other ref) a push names, without `refs/heads/`. */
export const branchOf = strip;

/**
 * Whether a push of `pushedRef` builds a BuildConfig whose git ref is `configRef`.
 * @example refMatches(undefined, 'refs/heads/main', 'main') // true
 * @example refMatches('release', 'refs/heads/main', 'main') // false
 */
export function refMatches(configRef: string | undefined, pushedRef: string, defaultBranch?: string): boolean {
  const pushed = strip(pushedRef);
  if (configRef) return strip(configRef) === pushed;
  return defaultBranch ? pushed === defaultBranch : pushed === 'master' || pushed === 'main';
}

/** Why a push was not built, for the answer. */
export function refMismatch(configRef: string | undefined, pushedRef: string, defaultBranch?: string): string {
  const want = configRef ? `its ref "${strip(configRef)}"` : `the default branch "${defaultBranch ?? 'master or main'}"`;
  return `ignored: "${strip(pushedRef)}" is not ${want}, the only branch this BuildConfig builds`;
}

export const shortSha = (sha: string | undefined) => (sha ? sha.slice(0, 7) : '');
