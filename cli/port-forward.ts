// port-forward: a local listener per LOCAL:REMOTE pair on 127.0.0.1, each accepted connection
// tunnelled to the pod's port over a WebSocket of its own through the API (shared/streams/tunnel.ts).
// Loaded only by port-forward (it brings the WebSocket library).
import { createServer, type Server, type Socket } from 'node:net';
import WebSocket from 'ws';
import { TUNNEL_REFUSED, joinTunnel } from '../shared/streams/tunnel.ts';
import type { ApiClient } from './client.ts';
import type { Context } from './context.ts';
import { CliError } from './errors.ts';

export interface PortPair {
  local: number;
  remote: number;
}

/**
 * How connections reach the pod: a WebSocket through the API each, or (where the API answers
 * with the session instead, on AWS) a Session Manager session each.
 */
export type Transport = 'websocket' | 'brokered';

/** Tunnels one accepted connection; problems go to stderr, and the local connection is closed. */
function tunnel(ctx: Context, client: ApiClient, path: string, pair: PortPair, local: Socket, transport: Transport): void {
  local.setNoDelay(true);
  local.pause();
  let failed = false;
  const fail = (why: string) => {
    if (failed) return;
    failed = true;
    ctx.io.stderr.write(`error: forwarding port ${local.localPort ?? pair.local} -> ${pair.remote}: ${why}\n`);
    local.destroy();
  };
  if (transport === 'brokered') {
    void import('./ssm-session.ts').then(({ tunnelBrokered }) => tunnelBrokered(client, path, pair.remote, local, fail));
    return;
  }
  const url = `${client.server.replace(/^http/, 'ws')}${path}?port=${pair.remote}`;
  const ws = new WebSocket(url, { headers: client.authHeaders(), perMessageDeflate: false });
  ws.once('unexpected-response', (_req, res) => {
    res.resume();
    fail(`the server refused the connection (${res.statusCode})`);
  });
  ws.once('error', (err) => fail(err.message));
  // A port the pod refused: the API accepts the WebSocket and closes it with the reason.
  ws.once('close', (code, reason) => {
    if (code === TUNNEL_REFUSED) fail(reason.toString('utf8'));
  });
  local.once('error', () => ws.terminate());
  local.once('close', () => {
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });
  ws.once('open', () => {
    joinTunnel(local, ws);
    local.resume();
  });
}

/** Listens on each pair's local port until `signal` aborts (or the process ends); resolves then. */
export async function portForward(ctx: Context, client: ApiClient, path: string, pairs: PortPair[], signal?: AbortSignal, transport: Transport = 'websocket'): Promise<void> {
  const servers: Server[] = [];
  const open = new Set<Socket>();
  const closeAll = () => {
    for (const s of servers) s.close();
    for (const c of open) c.destroy();
  };
  try {
    for (const pair of pairs) {
      const server = createServer((local) => {
        open.add(local);
        local.once('close', () => open.delete(local));
        tunnel(ctx, client, path, pair, local, transport);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(new CliError(`cannot listen on 127.0.0.1:${pair.local}: ${err.code ?? err.message}`, 'pick another local port, or :REMOTE for any free one')));
        server.listen(pair.local, '127.0.0.1', () => resolve());
      });
      servers.push(server);
      const port = (server.address() as { port: number }).port;
      ctx.out(`Forwarding from 127.0.0.1:${port} -> ${pair.remote}`);
    }
  } catch (err) {
    closeAll();
    throw err;
  }
  await new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  closeAll();
}
