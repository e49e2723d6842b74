// What the API needs to serve the platform registry's token endpoint, its push notifications and
// image imports (the all-in-one's Distribution registry; ECR on AWS has its own credentials).
import type { RegistryTokenIssuer } from './token.ts';

/** The user name the platform's own components log in to its registry with. */
export const PLATFORM_REGISTRY_USER = 'berth-platform';

export interface RegistryDeps {
  /** host:port users tag and push with (`127.0.0.1:7500/demo/web:v1`), and image references name. */
  host: string;
  tokens: RegistryTokenIssuer;
  /** The password of the platform's own user (PLATFORM_REGISTRY_USER); the platform has none without it. */
  platformPassword?: string;
  /** The bearer secret of the registry's notifications; notifications are refused without it. */
  eventsSecret?: string;
  /**
   * Whether images may be imported from registries on this machine or its private networks
   * (test registries on loopback). Off on a shared platform: such an import reaches inside it.
   */
  allowPrivateSources?: boolean;
  /** Looks import sources' names up (dns.lookup by default; tests pass their own): source-policy.ts. */
  resolveSource?: (host: string) => Promise<string[]>;
}
