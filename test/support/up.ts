// Runs the real `npm run up` program as a child process for whole-platform tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../shared/local/ports.ts';

export interface UpProcess {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Ctrl-C as a terminal sends it: SIGINT to the whole process group (with `{ ownGroup: true }` only). */
  interrupt(): Promise<number | null>;
}

export interface UpPorts {
  api: number;
  dynamo: number;
  registry: number;
  routerHttp: number;
  routerHttps: number;
}

export async function upPorts(): Promise<UpPorts> {
  // freePort() may hand out a port again once it is closed: draw until all five differ.
  const taken = new Set<number>();
  const next = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  return { api: await next(), dynamo: await next(), registry: await next(), routerHttp: await next(), routerHttps: await next() };
}

export async function startUp(home: string, ports: UpPorts, env: Record<string, string> = {}, opts: { ownGroup?: boolean } = {}): Promise<UpProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agents/up/main.ts'], {
    env: { ...process.env, PAAS_HOME: home, PAAS_API_PORT: String(ports.api), PAAS_DYNAMODB_PORT: String(ports.dynamo), PAAS_REGISTRY_PORT: String(ports.registry), PAAS_ROUTER_HTTP_PORT: String(ports.routerHttp), PAAS_ROUTER_HTTPS_PORT: String(ports.routerHttps), PAAS_BUILDER_VARIANT: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // As a shell runs a foreground job: up leads a process group its children share.
    detached: opts.ownGroup ?? false,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`up did not become ready:\n${out}`));
      // A first start on a fresh machine makes the builder image before it is ready.
    }, 300_000);
    const check = () => {
      // Up's own line, not a word in the output of an image it builds on a first start.
      if (/^\[berth\] ready \(/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`up exited with ${code}:\n${out}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    output: () => out,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
    async interrupt() {
      if (child.exitCode !== null) return child.exitCode;
      if (!opts.ownGroup) throw new Error('interrupt() needs startUp(…, { ownGroup: true })');
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGINT');
      const [code] = await exited;
      return code as number | null;
    },
  };
}
