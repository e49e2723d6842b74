// One HTTP request over node:http (node:https for https URLs), answered as a small
// Response-like object. Not the global fetch: on Node 20 its first connection loads undici and
// its WebAssembly HTTP parser, which costs a short-lived command about 40 MiB and a tenth of a
// second; node:http's parser is already in the binary.
import type { IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import { pipeline, type Readable } from 'node:stream';

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  /** A string, or a stream sent as it is read (chunked). */
  body?: string | Readable;
  /** For the whole exchange, answer body included; 0 for none. */
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  ok: boolean;
  headers: { get(name: string): string | null };
  /** The body as it arrives; read it once, by this or by text()/arrayBuffer(). */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Thrown when the exchange outlives `timeoutMs`; `name` is as AbortSignal.timeout's. */
export class HttpTimeoutError extends Error {
  override name = 'TimeoutError';
}

export async function httpRequest(url: string, req: HttpRequest): Promise<HttpAnswer> {
  const target = new URL(url);
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const headers: Record<string, string> = { ...req.headers };
  if (typeof req.body === 'string') headers['Content-Length'] = String(Buffer.byteLength(req.body));
  const options: RequestOptions = { method: req.method, headers };
  return new Promise<HttpAnswer>((resolve, reject) => {
    const outgoing = request(target, options, (res) => resolve(answer(res, () => clearTimeout(timer))));
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    outgoing.on('error', fail);
    const timer = req.timeoutMs ? setTimeout(() => outgoing.destroy(new HttpTimeoutError(`no answer within ${req.timeoutMs} ms`)), req.timeoutMs) : undefined;
    timer?.unref?.();
    if (req.body === undefined || typeof req.body === 'string') outgoing.end(req.body);
    // A failing body stream destroys the request, which rejects through 'error' above.
    else pipeline(req.body, outgoing, () => {});
  });
}

function answer(res: IncomingMessage, done: () => void): HttpAnswer {
  res.on('end', done);
  res.on('close', done);
  const bytes = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const status = res.statusCode ?? 0;
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: { get: (name) => header(res.headers, name) },
    body: res,
    text: async () => (await bytes()).toString('utf8'),
    arrayBuffer: async () => {
      const b = await bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
