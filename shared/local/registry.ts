// Runs the Distribution registry (Debian package `docker-registry`) on a loopback port with its
// storage on disk. Docker Engine treats 127.0.0.0/8 registries as insecure-allowed, so plain
// HTTP on loopback needs no engine configuration.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from './dynamodb-local.ts';
import { waitForPort } from './ports.ts';

export interface LocalRegistry {
  /** host:port, the prefix of image references (`127.0.0.1:7500/demo/hello:latest`). */
  host: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `ownProcessGroup`: a Ctrl-C in the terminal reaches only the caller, which stops the registry in order. */
export async function startRegistry(opts: { port: number; dir: string; ownProcessGroup?: boolean }): Promise<LocalRegistry> {
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
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore', detached: opts.ownProcessGroup ?? false });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`docker-registry could not start: ${err.message} (Debian package docker-registry)`)));
    child.once('exit', (code) => reject(new Error(`docker-registry exited with code ${code}`)));
  });
  await Promise.race([waitForPort(opts.port, 30_000), exited]);
  child.removeAllListeners('exit');
  return { host: `127.0.0.1:${opts.port}`, process: child, stop: () => stopChild(child) };
}
