// How an import run as a task (on AWS, agents/builder/import.ts) tells the API why it failed: the
// task can write nothing but the one repository it copies into, so its exit code is its answer,
// read back from ECS (DescribeTasks: containers[].exitCode) and turned into the status the CLI
// prints: one line and a hint.

export type ImportFailureKind = 'NotFound' | 'SourceUnreachable' | 'SourceRefused' | 'TooLarge' | 'NotAnImage' | 'TargetRefused' | 'TimedOut' | 'ImportFailed';

/** Exit codes of the import task; 1 (and anything unknown) is ImportFailed. */
export const IMPORT_EXIT_CODES: Record<ImportFailureKind, number> = {
  ImportFailed: 1,
  NotFound: 3,
  SourceUnreachable: 4,
  TooLarge: 5,
  NotAnImage: 6,
  TargetRefused: 7,
  TimedOut: 8,
  SourceRefused: 9,
};

/** The largest image an import copies by default (sum of its config and layers, compressed): 4 GiB. */
export const DEFAULT_IMPORT_MAX_BYTES = 4 * 2 ** 30;

/** Marks an error of the copy with what kind of failure it is (the task's exit code follows it). */
export function importFailure<E extends Error>(err: E, kind: ImportFailureKind): E & { importFailure: ImportFailureKind } {
  return Object.assign(err, { importFailure: kind });
}

/** Whether an error already says what kind of failure it is (so that a wrapper passes it on). */
export function isImportFailure(err: unknown): boolean {
  return typeof (err as { importFailure?: unknown } | undefined)?.importFailure === 'string';
}

/** The kind of an error thrown by the copy; ImportFailed when it carries none. */
export function failureKindOf(err: unknown): ImportFailureKind {
  const kind = (err as { importFailure?: ImportFailureKind } | undefined)?.importFailure;
  return kind && kind in IMPORT_EXIT_CODES ? kind : 'ImportFailed';
}

export interface ImportOutcome {
  reason: ImportFailureKind | 'ImporterLost';
  message: string;
  suggestion: string;
}

/**
 * What a stopped import task means for the user: its exit code (undefined when the container
 * never ran) and ECS's stop reason, for the import of `from`.
 */
export function outcomeOfExit(from: string, exitCode: number | undefined, stoppedReason: string | undefined, maxBytes = DEFAULT_IMPORT_MAX_BYTES): ImportOutcome {
  const kind = Object.entries(IMPORT_EXIT_CODES).find(([, code]) => code === exitCode)?.[0] as ImportFailureKind | undefined;
  if (exitCode === undefined) {
    return { reason: 'ImporterLost', message: `the import of ${from} stopped before it ran${stoppedReason ? `: ${stoppedReason}` : ''}`, suggestion: 'run berth import-image again; if it keeps failing, tell the platform\'s operators' };
  }
  switch (kind) {
    case 'NotFound':
      return { reason: kind, message: `image ${from} was not found (or needs credentials)`, suggestion: 'check the name and tag; only public images can be imported' };
    case 'SourceUnreachable':
      return { reason: kind, message: `the registry of ${from} did not answer`, suggestion: 'check the image reference and that its registry is reachable from the internet' };
    case 'SourceRefused':
      return { reason: kind, message: `the registry of ${from} is on the platform's own network (by what its name resolves to now)`, suggestion: 'import from a public registry' };
    case 'TooLarge':
      return { reason: kind, message: `image ${from} is larger than the ${Math.round(maxBytes / 2 ** 20)} MiB an import may copy`, suggestion: 'push it yourself: berth registry login, docker tag, docker push' };
    case 'NotAnImage':
      return { reason: kind, message: `${from} is not an image this platform can run (a schema 2 or OCI image for linux/amd64)`, suggestion: 'name an image tag or digest, not a signature or an attestation' };
    case 'TargetRefused':
      return { reason: kind, message: `the platform registry refused the copy of ${from}`, suggestion: 'run berth import-image again in a moment' };
    case 'TimedOut':
      return { reason: kind, message: `the import of ${from} ran out of time`, suggestion: 'push it yourself: berth registry login, docker tag, docker push' };
    default:
      return { reason: 'ImportFailed', message: `the import of ${from} failed (exit code ${exitCode})`, suggestion: 'check the image reference and run berth import-image again' };
  }
}
