// A TCP connection joined to a WebSocket (port-forward), the same at both ends: the API joins the
// pod's connection to the client's WebSocket, the CLI joins each local connection to its own.
// Every binary message is bytes for the connection, every read of it a message back; either side
// closing closes the other. Reads pause while the WebSocket has more than HIGH_WATER bytes not yet
// written out, and the WebSocket pauses while the connection does not drain, so a slow end slows
// the other rather than filling memory.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

const HIGH_WATER = 4 * 2 ** 20;

/** The close code of a tunnel whose connection to the pod could not be made (an application code, 4000-4999); the reason says why. */
export const TUNNEL_REFUSED = 4502;

/** Joins `socket` to the open WebSocket `ws`; `onError` hears a connection that failed. */
export function joinTunnel(socket: Duplex, ws: WebSocket, onError?: (err: Error) => void): void {
  let queued = 0;
  socket.on('data', (d: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    queued += d.byteLength;
    if (queued > HIGH_WATER) socket.pause();
    ws.send(d, { binary: true }, () => {
      queued -= d.byteLength;
      if (queued <= HIGH_WATER && socket.isPaused()) socket.resume();
    });
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    if (!socket.write(data)) {
      ws.pause();
      socket.once('drain', () => ws.resume());
    }
  });
  socket.once('end', () => ws.close(1000));
  socket.once('error', (err) => {
    onError?.(err);
    ws.close(1011, 'the connection failed');
  });
  socket.once('close', () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  ws.once('close', () => socket.destroy());
  ws.once('error', () => socket.destroy());
}
