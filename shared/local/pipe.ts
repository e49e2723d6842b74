// A byte pipe between two stream endpoints (loopback TCP ports, unix sockets): each connection
// accepted on one side is joined to a new connection to the other. It carries any protocol
// (HTTP with keep-alive, DynamoDB Streams' long reads) without looking at it.
import { connect, createServer, type ListenOptions, type NetConnectOpts, type Socket } from 'node:net';

export interface Pipe {
  /** Stops accepting and cuts every joined connection. */
  close(): Promise<void>;
}

function join(a: Socket, b: Socket, open: Set<Socket>): void {
  open.add(a);
  open.add(b);
  const cut = () => {
    a.destroy();
    b.destroy();
    open.delete(a);
    open.delete(b);
  };
  for (const s of [a, b]) {
    s.once('error', cut);
    s.once('close', cut);
  }
  a.pipe(b);
  b.pipe(a);
}

/**
 * Listens where `from` says and joins each connection to a new one to `to`.
 * @example await startPipe({ host: '127.0.0.1', port: 7800 }, { path: '/run/berth/dynamo.sock' })
 */
export function startPipe(from: ListenOptions, to: NetConnectOpts): Promise<Pipe> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    client.pause();
    const upstream = connect(to);
    join(client, upstream, open);
    client.resume();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(from, () => {
      server.off('error', reject);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of open) s.destroy();
          }),
      });
    });
  });
}
