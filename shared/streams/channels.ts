// The channel protocol of streams into pods (exec, rsh), as Kubernetes' channel.k8s.io: every
// WebSocket message is binary, its first byte the channel, the rest its bytes.
//   0 stdin (client → pod), 1 stdout, 2 stderr (pod → client),
//   3 status (pod → client, JSON {exitCode} or {error}, the last message),
//   4 resize (client → pod, JSON {cols, rows}).
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4 } as const;
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

/** The status message that ends a session. */
export interface StreamStatus {
  exitCode?: number;
  error?: string;
}

/** One message: the channel byte, then the data. */
export function frame(channel: Channel, data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = new Uint8Array(new ArrayBuffer(body.byteLength + 1));
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** A message's channel and data; undefined for an empty message or an unknown channel. */
export function unframe(message: Uint8Array): { channel: Channel; data: Buffer } | undefined {
  if (message.byteLength === 0 || message[0]! > CHANNEL.resize) return undefined;
  return { channel: message[0] as Channel, data: Buffer.from(message.buffer, message.byteOffset + 1, message.byteLength - 1) };
}

/** A resize message's size, when it is a sane one. */
export function parseResize(data: Buffer): { cols: number; rows: number } | undefined {
  try {
    const { cols, rows } = JSON.parse(data.toString('utf8')) as { cols?: unknown; rows?: unknown };
    const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) < 10_000;
    return ok(cols) && ok(rows) ? { cols, rows } : undefined;
  } catch {
    return undefined;
  }
}
