// The address a request came from, as the runtime saw it: API Gateway's sourceIp on Lambda, the
// socket's peer on the local server. Headers such as X-Forwarded-For are never trusted: a client
// can write them. Read from the bindings each adapter passes, so neither adapter is loaded here.
import type { Context } from 'hono';

interface Bindings {
  incoming?: { socket?: { remoteAddress?: string } };
  server?: { incoming?: { socket?: { remoteAddress?: string } } };
  requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } };
}

/**
 * The client's address, or "unknown" where the runtime does not say (app.request in tests).
 * @example clientAddress(c) // '203.0.113.7'
 */
export function clientAddress(c: Context): string {
  const env = (c.env ?? {}) as Bindings;
  return (
    env.requestContext?.http?.sourceIp ??
    env.requestContext?.identity?.sourceIp ??
    env.incoming?.socket?.remoteAddress ??
    env.server?.incoming?.socket?.remoteAddress ??
    'unknown'
  );
}
