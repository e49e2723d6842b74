// What a webhook plugin (GitHub, GitLab, Generic) is given and what it decides. Plugins are
// pure: the route finds the BuildConfig and its trigger, and does all the I/O.
import type { BuildConfigSpec, BuildSpec, BuildTrigger, EnvVar } from '../../model/build-kinds.ts';

export type HookType = 'github' | 'gitlab' | 'generic';

export interface WebhookRequest {
  /** A request header by case-insensitive name. */
  header(name: string): string | undefined;
  /** The raw body, exactly as sent (signatures are over these bytes). */
  body: Uint8Array;
}

export type WebhookDecision =
  /** Answer 200 and start nothing (GitHub's ping). */
  | { action: 'pong'; message: string }
  /** Authenticated, but not a reason to build (another event, another branch). */
  | { action: 'ignore'; message: string }
  | { action: 'build'; message: string; revision?: BuildSpec['revision']; env?: EnvVar[]; warnings: string[] };

export interface WebhookPlugin {
  /** The BuildConfig trigger type whose secret the URL must carry. */
  triggerType: 'GitHub' | 'GitLab' | 'Generic';
  /**
   * Checks the request's own proof, beyond the URL secret (GitHub's signature, GitLab's
   * token), against the trigger's secret, in constant time.
   */
  authenticate(req: WebhookRequest, secret: string): boolean;
  /** What to do with an authenticated request. Throws BadRequestError for a malformed payload. */
  decide(req: WebhookRequest, config: BuildConfigSpec, trigger: BuildTrigger): WebhookDecision;
}
