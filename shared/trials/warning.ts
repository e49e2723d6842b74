// How a trial user is told their trial is ending: every API answer carries the end
// (Berth-Trial-Expires), and in the last day a Warning header (RFC 7234 warn-code 299, what
// Kubernetes' API server uses for its warnings) that the CLI prints.
import { TRIAL_EXPIRES_HEADER, WARN_BEFORE_MS } from './settings.ts';

/** Whether a trial ending at `expires` is in its last day at `now`. */
export const inLastDay = (expires: string, now: Date): boolean => Date.parse(expires) - now.getTime() <= WARN_BEFORE_MS;

export function warningText(expires: string): string {
  return `your trial ends at ${expires}: its projects and everything in them will then be deleted`;
}

/** Sets the trial headers of an answer to a trial user. */
export function trialHeaders(expires: string, now: Date, set: (name: string, value: string) => void): void {
  set(TRIAL_EXPIRES_HEADER, expires);
  if (inLastDay(expires, now)) set('Warning', `299 berth "${warningText(expires)}"`);
}
