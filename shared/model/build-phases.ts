// The phases of a Build, on their own: code that only asks "is it finished?" (the build
// reconciler's plan, the CLI) imports these without the zod schemas of build-kinds.ts, which
// keeps zod out of the reconciler bundles.
export const BUILD_PHASES = ['New', 'Pending', 'Running', 'Complete', 'Failed', 'Error', 'Cancelled'] as const;
export type BuildPhase = (typeof BUILD_PHASES)[number];
export const TERMINAL_PHASES: readonly BuildPhase[] = ['Complete', 'Failed', 'Error', 'Cancelled'];
