// What the API app is given (its dependencies) and what a request carries through middleware.
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { ObjectStore } from '../store/ports.ts';

export interface ApiDeps {
  store: ObjectStore;
  identity: Identity;
  logger?: Logger;
  /** Shown by /healthz and in the OpenAPI document. */
  version?: string;
}

export interface ApiEnv {
  Variables: {
    /** The authenticated user's name; set on every route but the public ones. */
    user: string;
    /** The bearer token of the request, for logout. */
    token: string;
  };
}
