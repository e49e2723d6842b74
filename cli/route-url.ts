// The URL a user opens to reach a route: its scheme (https when it has TLS), its host, the
// router's public port when that is not the scheme's own (the all-in-one's router is on 7088),
// and its path. The platform says which ports its routers listen on (GET /api/v1/router).
import type { ApiClient, ApiObject } from './client.ts';
import { CliError } from './errors.ts';

export interface RouterPorts {
  httpPort: number;
  httpsPort: number;
}

export const DEFAULT_ROUTER_PORTS: RouterPorts = { httpPort: 80, httpsPort: 443 };

/**
 * The route's URL, or undefined while it has no host yet.
 * @example routeUrl({ spec: { host: 'web-demo.apps.localhost' } }, { httpPort: 7088, httpsPort: 7443 }) // 'http://web-demo.apps.localhost:7088'
 */
export function routeUrl(route: Pick<ApiObject, 'spec'>, ports: RouterPorts): string | undefined {
  const host = route.spec?.host as string | undefined;
  if (!host) return undefined;
  const tls = route.spec?.tls !== undefined && route.spec?.tls !== null;
  const port = tls ? ports.httpsPort : ports.httpPort;
  const standard = tls ? 443 : 80;
  return `${tls ? 'https' : 'http'}://${host}${port === standard ? '' : `:${port}`}${route.spec?.path ?? ''}`;
}

/** The routers' ports as the platform gives them; the standard ones from a platform that does not say. */
export async function routerPorts(client: ApiClient): Promise<RouterPorts> {
  try {
    return { ...DEFAULT_ROUTER_PORTS, ...(await client.get<Partial<RouterPorts>>('/api/v1/router')) };
  } catch (err) {
    if (err instanceof CliError && err.status === 404) return DEFAULT_ROUTER_PORTS;
    throw err;
  }
}
