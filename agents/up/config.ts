// The all-in-one platform's settings, from the environment (defaults in ARCHITECTURE.md).
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface UpConfig {
  home: string;
  apiPort: number;
  dynamoPort: number;
  registryPort: number;
  tableName: string;
  appsDomain: string;
  adminPassword?: string;
  resyncMs: number;
  /** Which builder image variant to offer: `test` (Flask, Django, gunicorn, waitress baked in), `plain`, or `off`. */
  builderVariant: 'test' | 'plain' | 'off';
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${raw} is not a TCP port (1-65535)`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): UpConfig {
  return {
    home: env.PAAS_HOME || join(homedir(), '.berth'),
    apiPort: port(env, 'PAAS_API_PORT', 7080),
    dynamoPort: port(env, 'PAAS_DYNAMODB_PORT', 7800),
    registryPort: port(env, 'PAAS_REGISTRY_PORT', 7500),
    tableName: env.PAAS_TABLE || 'berth',
    appsDomain: env.PAAS_APPS_DOMAIN || 'apps.localhost',
    adminPassword: env.BERTH_ADMIN_PASSWORD || undefined,
    resyncMs: Number(env.PAAS_RESYNC_MS || 30_000),
    builderVariant: builderVariant(env.PAAS_BUILDER_VARIANT),
  };
}

function builderVariant(raw: string | undefined): UpConfig['builderVariant'] {
  // Containers here have no route to a package index, so the default builder carries the
  // common frameworks from Debian's packages.
  const v = raw || 'test';
  if (v !== 'test' && v !== 'plain' && v !== 'off') throw new Error(`PAAS_BUILDER_VARIANT=${raw} is not one of test, plain, off`);
  return v;
}
