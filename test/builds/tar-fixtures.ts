// Hand-made tar streams for the archive and S2I tests, including hostile ones.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export type Entry = Parameters<tar.Pack['entry']>[0] & { body?: string | Buffer };

/** A tar of `entries`, as one Buffer (gzipped when asked). */
export async function makeTar(entries: Entry[], opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry(header, body ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await collected;
  const buf = Buffer.concat(chunks);
  return opts.gzip ? gzipSync(buf) : buf;
}

/** A stream that hands out `buf` in small chunks, as an upload arrives. */
export function chunked(buf: Buffer, size = 4096): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })());
}
