// A registry with token authentication, as `npm run up` runs it: the Distribution registry asks
// the test's API (served on a loopback port) for tokens and tells it of pushes. `docker` runs the
// real Docker CLI with its own config directory, so logins stay inside the test.
import { serve } from '@hono/node-server';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRegistryAuth, type RegistryAuthFiles } from '../../shared/local/registry-auth.ts';
import { freePort } from '../../shared/local/ports.ts';
import { startRegistry, type LocalRegistry } from '../../shared/local/registry.ts';
import { RegistryTokenIssuer } from '../../shared/registry/token.ts';
import type { RegistryDeps } from '../../shared/registry/types.ts';
import type { ApiDeps } from '../../shared/api/env.ts';
import { testApi, type TestApi } from './api.ts';

export interface AuthRegistry {
  api: TestApi;
  apiUrl: string;
  /** host:port of the registry. */
  host: string;
  registry: LocalRegistry;
  auth: RegistryAuthFiles;
  deps: RegistryDeps;
  /**
   * Runs `docker ARGS` with this test's config directory (one per `as`, so that each user has
   * their own login); stdin from `input`. Asynchronous: the engine asks this process's API for
   * tokens meanwhile.
   */
  docker(args: string[], input?: string, as?: string): Promise<{ status: number | null; out: string }>;
  stop(): Promise<void>;
}

export async function authRegistry(extra: Partial<ApiDeps> = {}): Promise<AuthRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-auth-registry-'));
  const [apiPort, registryPort] = [await freePort(), await freePort()];
  const auth = ensureRegistryAuth(join(dir, 'auth'));
  const host = `127.0.0.1:${registryPort}`;
  const tokens = new RegistryTokenIssuer({ privateKey: auth.privateKey, issuer: 'berth-test', service: 'berth-test-registry' });
  const deps: RegistryDeps = { host, tokens, platformPassword: auth.platformPassword, eventsSecret: auth.eventsSecret, ...extra.registry };
  const api = await testApi({ ...extra, registry: deps });
  const server = serve({ fetch: api.app.fetch, port: apiPort, hostname: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const registry = await startRegistry({
    port: registryPort,
    dir: join(dir, 'registry'),
    auth: { realm: `${apiUrl}/api/v1/registry/token`, service: tokens.service, issuer: tokens.issuer, rootCertBundle: auth.certFile },
    notifications: { url: `${apiUrl}/api/v1/registry/events`, secret: auth.eventsSecret },
  });
  const config = join(dir, 'docker-config');
  return {
    api,
    apiUrl,
    host,
    registry,
    auth,
    deps,
    docker: (args, input, as = 'default') => dockerCli(['--config', join(config, as), ...args], input),
    async stop() {
      await registry.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function dockerCli(args: string[], input?: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGTERM'), 120_000);
    p.once('error', reject);
    p.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
    p.stdin.end(input ?? '');
  });
}

/** Builds a one-layer image from the test busybox base, unique per `label`, exposing `port`. */
export async function tinyImage(r: AuthRegistry, tag: string, label: string, port = 8080): Promise<void> {
  const made = await r.docker(['build', '-q', '-t', tag, '-'], `FROM berth-test/busybox:1\nLABEL berth.test=${label}\nEXPOSE ${port}\nCMD ["/bin/busybox", "httpd", "-f", "-p", "${port}"]\n`);
  if (made.status !== 0) throw new Error(`docker build: ${made.out}`);
}
