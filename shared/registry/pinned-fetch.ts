// The HTTP client of an import's reads from its source: a `fetch` whose every connection goes to
// an address checked against the source policy at the moment it connects. Names are resolved by
// the agents' own `lookup` (source-policy.ts's checkedAddresses), which hands the socket only
// addresses it has checked, so there is no second lookup for DNS to answer differently;
// address literals (which the socket would not look up) are checked before the request; and
// redirects (a registry's blobs on a storage host) are followed here, hop by hop, each through
// the same agents. Reads only: a request body is refused.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import type { Fetch } from './http.ts';
import { checkedAddresses, type SourcePolicy } from './source-policy.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** A connection quiet for this long is given up (a registry that accepts and never answers). */
const IDLE_MS = 60_000;

/** A `lookup` for sockets: resolves with the policy, refuses if any address is refused, answers only checked addresses. */
export function checkedLookup(policy: SourcePolicy): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, policy).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const usable = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => !family || a.family === family);
        if (!usable.length) return callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) return (callback as unknown as (err: null, all: typeof usable) => void)(null, usable);
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/**
 * A `fetch` pinned to the policy (see the file's header). `close()` lets its kept-alive
 * connections go.
 * @example const get = pinnedFetch({ allowPrivate: false }); try { await get('https://quay.io/v2/') } finally { get.close() }
 */
export function pinnedFetch(policy: SourcePolicy): Fetch & { close(): void } {
  const lookup = checkedLookup(policy);
  const agents = { 'http:': new http.Agent({ keepAlive: true, lookup }), 'https:': new https.Agent({ keepAlive: true, lookup }) };
  const send: Fetch = async (input, init = {}) => {
    if (init.body !== undefined && init.body !== null) throw new Error('reads from an import source carry no body');
    let url = new URL(String(input));
    let method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} is not http or https`);
      // The socket looks names up through the checked lookup; it would connect to a literal address directly.
      if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) await checkedAddresses(url.hostname, policy);
      const res = await request(url, method, headers, agents[url.protocol]);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return responseOf(res, method);
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new Error(`${url.host} redirected more than ${MAX_REDIRECTS} times`);
      const next = new URL(location, url);
      // As fetch does: credentials stay with their origin; a 303 is read with GET.
      if (next.origin !== url.origin) headers.delete('authorization');
      if (res.statusCode === 303 && method !== 'HEAD') method = 'GET';
      url = next;
    }
  };
  return Object.assign(send, {
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  });
}

function request(url: URL, method: string, headers: Headers, agent: http.Agent): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers: Object.fromEntries(headers), agent }, resolve);
    req.once('error', reject);
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`${url.host} did not answer for ${IDLE_MS / 1000} s`)));
    req.end();
  });
}

function responseOf(res: http.IncomingMessage, method: string): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  const empty = method === 'HEAD' || status === 204 || status === 304;
  if (empty) res.resume();
  return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers });
}
