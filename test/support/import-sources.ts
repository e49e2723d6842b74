// Sources for image-import tests, all on loopback: a small image pushed to the test's open
// Distribution registry through its HTTP API, and a registry front that serves that image's
// manifests but sends blob reads (or token requests) wherever a test says, as a hostile
// registry would send the importer to blob storage of its choosing.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

async function putBlob(registry: string, repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await start.body?.cancel();
  const put = new URL(start.headers.get('location')!, `http://${registry}`);
  put.searchParams.set('digest', digest);
  const res = await fetch(put, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`blob upload to ${registry}/${repo}: HTTP ${res.status}`);
  return { digest, size: bytes.length };
}

/** Pushes a one-layer image (random bytes, EXPOSE `port`) as `repo:tag` to an open registry. */
export async function pushTestImage(registry: string, repo: string, tag: string, port: number): Promise<void> {
  const config = await putBlob(registry, repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { ExposedPorts: { [`${port}/tcp`]: {} } }, rootfs: { type: 'layers', diff_ids: [] } })));
  const layer = await putBlob(registry, repo, randomBytes(4096));
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }] });
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': MANIFEST }, body: manifest });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`manifest push to ${registry}/${repo}:${tag}: HTTP ${res.status}`);
}

export interface RegistryFront {
  port: number;
  /** Requests it got, as "METHOD path". */
  requests: string[];
  stop(): Promise<void>;
}

/**
 * A registry on a loopback port that answers `/v2/` manifests from `upstream` and redirects
 * every blob read to `blobsTo(path)` (307, as registries send clients to blob storage). With
 * `realm`, a request without a token gets Docker's 401 challenge naming that token service.
 */
export async function registryFront(opts: { upstream: string; blobsTo: (path: string) => string; realm?: string }): Promise<RegistryFront> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (opts.realm && !req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${opts.realm}",service="front",scope="repository:x:pull"` }).end();
      return;
    }
    if (/\/blobs\//.test(req.url ?? '')) {
      res.writeHead(307, { Location: opts.blobsTo(req.url!) }).end();
      return;
    }
    fetch(`http://${opts.upstream}${req.url}`, { method: req.method, headers: { Accept: String(req.headers.accept ?? '*/*') } }).then(
      async (up) => {
        const body = Buffer.from(await up.arrayBuffer());
        res.writeHead(up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/octet-stream', 'Content-Length': String(body.length) }).end(body);
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * A DNS of the test's making, as a hostile name server would answer: each name's answers in
 * turn (the last one repeating), so that a name can answer one address to a check and another
 * to the connection after it; `asked` counts the look-ups. Unknown names are ENOTFOUND.
 */
export function scriptedDns(answers: Record<string, string[][]> = {}) {
  const dns = {
    answers,
    asked: {} as Record<string, number>,
    resolve: async (host: string): Promise<string[]> => {
      const n = (dns.asked[host] = (dns.asked[host] ?? 0) + 1);
      const list = dns.answers[host];
      if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return list[Math.min(n, list.length) - 1]!;
    },
  };
  return dns;
}
