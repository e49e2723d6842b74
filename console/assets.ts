// The console's client side: htmx (already minified by its authors) followed by the console's own
// small script, and one stylesheet. Read once and served under content hashes, so browsers keep
// them until they change. The server renders every page; the script only adds live updates.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

export interface Asset {
  path: string;
  body: string;
  /** The body gzipped once, for browsers that accept it (all do). */
  gzip: Buffer;
  type: string;
}

const read = (url: URL | string): string => readFileSync(url, 'utf8');
const hashed = (name: string, ext: string, body: string, type: string): Asset => ({
  path: `/console/assets/${name}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`,
  body,
  gzip: gzipSync(body, { level: 9 }),
  type,
});

let assets: { js: Asset; css: Asset } | undefined;

/** The script and stylesheet every page links. */
export function consoleAssets(): { js: Asset; css: Asset } {
  if (assets) return assets;
  // A Lambda bundle carries the three files in console-assets/ beside it (infra/bundling.ts).
  const bundled = new URL('./console-assets/', import.meta.url);
  const packed = existsSync(bundled);
  const htmx = read(packed ? new URL('htmx.min.js', bundled) : createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
  const own = read(new URL(packed ? 'console.js' : './client/console.js', packed ? bundled : import.meta.url));
  assets = {
    js: hashed('console', 'js', `${htmx}\n${own}`, 'text/javascript; charset=utf-8'),
    css: hashed('console', 'css', read(new URL(packed ? 'console.css' : './client/console.css', packed ? bundled : import.meta.url)), 'text/css; charset=utf-8'),
  };
  return assets;
}
