// The CLI's config file: server, token, user and current project. It holds a bearer token, so it
// is written with mode 0600 (its directory, when created, 0700) and replaced atomically.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.ts';

export interface CliConfig {
  server?: string;
  token?: string;
  user?: string;
  project?: string;
}

const FIELDS = ['server', 'token', 'user', 'project'] as const;

/** `BERTH_CONFIG`, else `$XDG_CONFIG_HOME/berth/config.json`, else `~/.config/berth/config.json`. */
export function configPath(env: Record<string, string | undefined>): string {
  if (env.BERTH_CONFIG) return env.BERTH_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'berth', 'config.json');
}

export function readConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the config file ${path}: ${(err as Error).message}`, 'check its permissions or set BERTH_CONFIG to another path');
  }
  const broken = new CliError(`the config file ${path} is not a JSON object of strings`, 'fix it, or delete it and log in again');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw broken;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw broken;
  const config: CliConfig = {};
  for (const field of FIELDS) {
    const value = (parsed as Record<string, unknown>)[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw broken;
    config[field] = value;
  }
  return config;
}

/** Writes the whole config: a private temporary file in the same directory, then a rename. */
export function writeConfig(path: string, config: CliConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const body = Object.fromEntries(FIELDS.filter((f) => config[f] !== undefined).map((f) => [f, config[f]]));
  try {
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write the config file ${path}: ${(err as Error).message}`, 'check the permissions of its directory or set BERTH_CONFIG to another path');
  }
}
