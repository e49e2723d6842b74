// The build reconciler's decisions, as a pure function of what it observed: when to launch
// the builder agent (run policies), when a build is cancelled, past its deadline or lost its
// agent, and which finished builds fall out of the history limits.
import { TERMINAL_PHASES, type BuildPhase } from '../model/build-phases.ts';
import { BUILD_NUMBER_ANNOTATION, type Build } from './instantiate.ts';

export type BuildAction =
  | { type: 'launch' }
  | { type: 'wait'; afterMs: number; reason: string }
  | { type: 'watch'; afterMs: number }
  | { type: 'finish'; phase: BuildPhase; reason: string; message: string; stopAgent: boolean };

export interface BuildObservation {
  build: Build;
  /** Other builds of the same BuildConfig. */
  siblings: Build[];
  runPolicy: 'Serial' | 'Parallel' | 'SerialLatestOnly';
  /** Whether the build's agent still runs; undefined when it has none yet. */
  agentAlive?: boolean;
  now: number;
}

/** How often a running build is looked at when no event says anything. */
export const WATCH_MS = 2000;

export const numberOf = (b: Build): number => Number(b.metadata.annotations[BUILD_NUMBER_ANNOTATION] ?? 0);
export const isTerminal = (b: Build): boolean => TERMINAL_PHASES.includes(b.status.phase ?? 'New');

export function planBuild(o: BuildObservation): BuildAction[] {
  const { build: b, now } = o;
  const phase = b.status.phase ?? 'New';
  if (isTerminal(b)) return [];
  const agent = b.status.agent !== undefined;
  if (b.spec.cancelled) {
    return [{ type: 'finish', phase: 'Cancelled', reason: 'CancelledBuild', message: 'The build was cancelled by the user.', stopAgent: agent }];
  }
  const deadline = b.spec.completionDeadlineSeconds;
  const started = Date.parse(b.status.startTimestamp ?? b.metadata.creationTimestamp);
  if (deadline !== undefined && phase !== 'New' && now - started > deadline * 1000) {
    return [{ type: 'finish', phase: 'Failed', reason: 'DeadlineExceeded', message: `The build ran longer than its completionDeadlineSeconds (${deadline} s).`, stopAgent: agent }];
  }
  if (phase === 'New') {
    const n = numberOf(b);
    if (o.runPolicy === 'SerialLatestOnly') {
      const newer = o.siblings.some((s) => numberOf(s) > n && !isTerminal(s));
      if (newer) return [{ type: 'finish', phase: 'Cancelled', reason: 'CancelledBuild', message: 'A newer build of this BuildConfig replaced it (runPolicy SerialLatestOnly).', stopAgent: false }];
    }
    if (o.runPolicy !== 'Parallel') {
      const ahead = o.siblings.find((s) => numberOf(s) < n && !isTerminal(s));
      if (ahead) return [{ type: 'wait', afterMs: WATCH_MS, reason: `waiting for ${ahead.metadata.name} (runPolicy ${o.runPolicy})` }];
    }
    return [{ type: 'launch' }];
  }
  if (agent && o.agentAlive === false) {
    return [{ type: 'finish', phase: 'Error', reason: 'BuilderLost', message: 'The builder agent stopped before the build finished.', stopAgent: false }];
  }
  return [{ type: 'watch', afterMs: WATCH_MS }];
}

/** Finished builds beyond the BuildConfig's history limits, oldest first. */
export function buildsToPrune(builds: Build[], successfulLimit: number, failedLimit: number): Build[] {
  const finished = builds.filter(isTerminal).sort((a, b) => numberOf(b) - numberOf(a));
  const complete = finished.filter((b) => b.status.phase === 'Complete');
  const failed = finished.filter((b) => b.status.phase !== 'Complete');
  return [...complete.slice(successfulLimit), ...failed.slice(failedLimit)].sort((a, b) => numberOf(a) - numberOf(b));
}
