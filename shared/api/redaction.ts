// What readers who may not change an object are not shown of it. A BuildConfig's webhook secrets
// start builds for whoever holds them, so they are for those who may edit the BuildConfig (edit,
// admin, cluster-admin); `view` sees the triggers with their secrets replaced by REDACTED.
import { redactTriggerSecrets } from '../builds/trigger-codec.ts';
import { ForbiddenError } from '../errors.ts';
import { authorizeProject } from './access.ts';
import type { ApiDeps } from './env.ts';

const REDACTORS: Partial<Record<string, (spec: unknown) => unknown>> = { BuildConfig: redactTriggerSecrets };

/** The kinds some readers are shown redacted (shared/api/shown.ts). */
export const REDACTED_KINDS: readonly string[] = Object.keys(REDACTORS);

/** How a kind's spec is shown to readers who may not change it; undefined when whole. */
export const redactFor = (kind: string): ((spec: unknown) => unknown) | undefined => REDACTORS[kind];

/** Whether `user` may see the secrets of `project`'s objects: those who may update them. */
export async function canSeeSecrets(deps: ApiDeps, user: string, project: string): Promise<boolean> {
  try {
    await authorizeProject(deps, user, project, 'update', 'app');
    return true;
  } catch (err) {
    if (err instanceof ForbiddenError) return false;
    throw err;
  }
}
