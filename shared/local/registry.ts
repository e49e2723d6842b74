// Runs the Distribution registry (Debian package `docker-registry`) on a loopback port with its
// storage on disk. Docker Engine treats 127.0.0.0/8 registries as insecure-allowed, so plain
// HTTP on loopback needs no engine configuration. Deleting an image through the registry API
// only unlinks its manifest; its blobs stay on disk until `garbageCollect`, which stops the
// registry for the few seconds the collection takes (Distribution's garbage collector must not
// run while images are pushed) and starts it again on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stopChild } from './dynamodb-local.ts';
import { waitForPort } from './ports.ts';

export interface RegistryCollection {
  /** Blob bytes on disk before and after. */
  beforeBytes: number;
  afterBytes: number;
  /** Repositories (`project/stream`) with no tag left, removed from disk. */
  removedRepositories: string[];
}

export interface LocalRegistry {
  /** host:port, the prefix of image references (`127.0.0.1:7500/demo/hello:latest`). */
  host: string;
  /** The registry's process now (a new one after each garbage collection). */
  readonly process: ChildProcess;
  /** Where blobs and repositories are kept: `<dir>/storage/docker/registry/v2`. */
  storage: string;
  /** Removes blobs no manifest references and repositories with no tag; the registry is down meanwhile. */
  garbageCollect(): Promise<RegistryCollection>;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  port: number;
  dir: string;
  /** `ownProcessGroup`: a Ctrl-C in the terminal reaches only the caller, which stops the registry in order. */
  ownProcessGroup?: boolean;
  /** Called when the registry exits on its own (not for a stop or a garbage collection). */
  onExit?: (code: number | null) => void;
  /**
   * Docker's token authentication: every request needs a bearer token from `realm` (the Berth API),
   * signed by the key certified in `rootCertBundle`. Without it the registry is open (test setups).
   */
  auth?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /**
   * Basic authentication from an htpasswd file (bcrypt entries), as ECR answers a registry client:
   * a 401 with a Basic challenge. For tests of clients that speak to ECR; not with `auth`.
   */
  htpasswd?: string;
  /** Where the registry tells of pushes (manifests only), with `Authorization: Bearer <secret>`. */
  notifications?: { url: string; secret: string };
}

export async function startRegistry(opts: RegistryOptions): Promise<LocalRegistry> {
  const storage = join(opts.dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = join(opts.dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${opts.port}`,
      ...(opts.htpasswd && !opts.auth ? ['auth:', '  htpasswd:', '    realm: berth-basic', `    path: ${opts.htpasswd}`] : []),
      ...(opts.auth ? ['auth:', '  token:', `    realm: ${opts.auth.realm}`, `    service: ${opts.auth.service}`, `    issuer: ${opts.auth.issuer}`, `    rootcertbundle: ${opts.auth.rootCertBundle}`] : []),
      ...(opts.notifications ? notificationLines(opts.notifications) : []),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  let child: ChildProcess;
  let expected = false;
  const serve = async () => {
    child = spawn('docker-registry', ['serve', config], { stdio: 'ignore', detached: opts.ownProcessGroup ?? false });
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`docker-registry could not start: ${err.message} (Debian package docker-registry)`)));
      child.once('exit', (code) => reject(new Error(`docker-registry exited with code ${code}`)));
    });
    await Promise.race([waitForPort(opts.port, 30_000), exited]);
    child.removeAllListeners('exit');
    child.once('exit', (code) => {
      if (!expected) opts.onExit?.(code);
    });
  };
  await serve();
  const v2 = join(storage, 'docker', 'registry', 'v2');
  let collecting: Promise<RegistryCollection> | undefined;

  const collect = async (): Promise<RegistryCollection> => {
    const beforeBytes = await treeBytes(join(v2, 'blobs'));
    expected = true;
    await stopChild(child);
    try {
      // Repositories whose every tag is gone (deleted images, a deleted project) go first, so
      // that their blobs are referenced by nothing.
      const removedRepositories = await removeUntaggedRepositories(join(v2, 'repositories'));
      await run('docker-registry', ['garbage-collect', '--delete-untagged', config]);
      return { beforeBytes, afterBytes: await treeBytes(join(v2, 'blobs')), removedRepositories };
    } finally {
      expected = false;
      await serve();
    }
  };

  return {
    host: `127.0.0.1:${opts.port}`,
    get process() {
      return child;
    },
    storage: v2,
    garbageCollect() {
      // One collection at a time; a request during one shares it.
      collecting ??= collect().finally(() => (collecting = undefined));
      return collecting;
    },
    async stop() {
      expected = true;
      await collecting?.catch(() => undefined);
      await stopChild(child);
    },
  };
}

/** Manifest pushes only (blobs are application/octet-stream); retried every second while the API is away. */
function notificationLines(n: { url: string; secret: string }): string[] {
  return [
    'notifications:',
    '  events:',
    '    includereferences: true',
    '  endpoints:',
    '    - name: berth-api',
    `      url: ${n.url}`,
    '      headers:',
    `        Authorization: [Bearer ${n.secret}]`,
    '      timeout: 5s',
    '      threshold: 3',
    '      backoff: 1s',
    '      ignoredmediatypes:',
    '        - application/octet-stream',
  ];
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} exited with code ${code}: ${err.trim().split('\n').at(-1)}`))));
  });
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  return total;
}

/** Repository directories (any depth) with no tag left; removed, with parents left empty. */
async function removeUntaggedRepositories(root: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, rel: string): Promise<boolean> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.name === '_manifests')) {
      const tags = await readdir(join(dir, '_manifests', 'tags')).catch(() => []);
      if (tags.length) return false;
      await rm(dir, { recursive: true, force: true });
      removed.push(rel);
      return true;
    }
    let all = entries.length > 0;
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('_')) {
        all = false;
        continue;
      }
      if (!(await walk(join(dir, e.name), rel ? `${rel}/${e.name}` : e.name))) all = false;
    }
    if (all && rel) await rm(dir, { recursive: true, force: true });
    return all;
  };
  await walk(root, '');
  return removed.sort();
}
