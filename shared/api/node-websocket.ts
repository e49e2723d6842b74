// WebSocket upgrades for the API served by Node (the all-in-one platform, tests): the app is made
// with `streams` in its dependencies, then `attach` joins it to the HTTP server. On Lambda there
// is none, and the routes that need one are not served.
import type { Server } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import { createNodeWebSocket } from '@hono/node-ws';
import type { Hono } from 'hono';
import type { ApiDeps } from './env.ts';

export interface NodeStreams {
  streams: NonNullable<ApiDeps['streams']>;
  /** Serves the upgrades of `server` with `app` (the app made with `streams`). */
  attach(app: Pick<Hono<any>, 'request'>, server: Server | Http2Server | Http2SecureServer): void;
}

export function nodeStreams(): NodeStreams {
  let target: Pick<Hono<any>, 'request'> | undefined;
  // The upgrade handler asks the app, which is made after this: it is looked up per request.
  const ws = createNodeWebSocket({ app: { request: (...args: Parameters<Hono['request']>) => target!.request(...args) } as unknown as Hono });
  return {
    streams: { upgradeWebSocket: ws.upgradeWebSocket },
    attach(app, server) {
      target = app;
      ws.injectWebSocket(server as Server);
    },
  };
}
