// Test harness for the CLI: the real API over a fresh DynamoDB Local table, served on a loopback
// port, and a `berth(...)` function that runs the CLI in-process against it with its own config.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { run, type Io } from '../../cli/program.ts';
import { testApi, type TestApi } from '../support/api.ts';
import type { ApiDeps } from '../../shared/api/env.ts';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  api: TestApi;
  server: string;
  /** Runs `berth ...argv` with the config file of `as` (default "admin"), reading `stdin` when given. */
  berth(argv: string[], as?: string, stdin?: Io['stdin']): Promise<Result>;
  configFile(as?: string): string;
  config(as?: string): Record<string, string>;
  /** Logs `user` in (password "password-<user>", or the admin's) under config `user`. */
  login(user: string): Promise<Result>;
  close(): Promise<void>;
}

export async function runCli(argv: string[], env: Record<string, string | undefined>, stdin?: Io['stdin']): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    ...(stdin ? { stdin } : {}),
  });
  return { code, stdout, stderr };
}

/** What the test server serves: the test API's app unless a test file builds its own. */
export type ServedApp = { fetch: (request: Request, ...rest: any[]) => Response | Promise<Response> };

/** `deps` are extra API dependencies; `onServer` is given the HTTP server once it listens (to serve WebSocket upgrades on it). */
export async function startCli(makeApp: (api: TestApi) => ServedApp = (api) => api.app, deps: Partial<ApiDeps> = {}, onServer?: (server: ServerType, app: ServedApp) => void): Promise<CliHarness> {
  const api = await testApi(deps);
  const app = makeApp(api);
  const httpServer: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (request, ...rest) => app.fetch(request, ...rest), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  onServer?.(httpServer, app);
  const port = (httpServer.address() as AddressInfo).port;
  const server = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  const configFile = (as = 'admin') => join(dir, as, 'config.json');
  const berth = (argv: string[], as = 'admin', stdin?: Io['stdin']) => runCli(argv, { BERTH_CONFIG: configFile(as), HOME: dir }, stdin);
  return {
    api,
    server,
    berth,
    configFile,
    config: (as = 'admin') => JSON.parse(readFileSync(configFile(as), 'utf8')),
    login: (user) => berth(['login', server, '-u', user, '-p', user === 'admin' ? 'admin-password' : `password-${user}`], user),
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        // A command still running (a test that failed half way) holds a keep-alive connection: ended, so the close does not wait on it.
        (httpServer as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
