// The all-in-one platform's settings, from the environment (defaults in ARCHITECTURE.md).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { settingsFromEnv, type TrialSettings } from '../../shared/trials/settings.ts';
import { idleAfterFrom } from '../../shared/idling/idler.ts';

export interface UpConfig {
  home: string;
  apiPort: number;
  dynamoPort: number;
  registryPort: number;
  tableName: string;
  appsDomain: string;
  /** Where the router serves apps: plain HTTP and HTTPS (edge, re-encrypt and passthrough routes). */
  routerHttpPort: number;
  routerHttpsPort: number;
  adminPassword?: string;
  resyncMs: number;
  /** Which builder image variant to offer: `test` (Flask, Django, gunicorn, waitress baked in), `plain`, or `off`. */
  builderVariant: 'test' | 'plain' | 'off';
  /** The local engine's name as a fleet host. */
  hostName: string;
  /** How often a host agent renews its lease, and how long a silent host is given before it is NotReady, then before its pods are replaced elsewhere. */
  hostLeaseMs: number;
  hostGraceMs: number;
  hostEvictionMs: number;
  /** Sign-up (open by default here), trial length, projects per user. */
  trials: TrialSettings;
  /** How often the registry collects the blobs of deleted images even when none were deleted through the platform. */
  registryGcMs: number;
  /** How often the image stream tags are caught up with the registry (pushes whose notification was lost); also once at start. */
  registryResyncMs: number;
  /** Idling: a DC's quiet time before it is idled (PAAS_IDLE_AFTER_S), and how often the router reports requests (PAAS_IDLE_REPORT_MS). */
  idleAfterMs: number;
  idleReportMs: number;
}

function millis(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100) throw new Error(`${name}=${raw} is not a duration in milliseconds (at least 100)`);
  return n;
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
    routerHttpPort: port(env, 'PAAS_ROUTER_HTTP_PORT', 7088),
    routerHttpsPort: port(env, 'PAAS_ROUTER_HTTPS_PORT', 7443),
    adminPassword: env.BERTH_ADMIN_PASSWORD || undefined,
    resyncMs: Number(env.PAAS_RESYNC_MS || 30_000),
    builderVariant: builderVariant(env.PAAS_BUILDER_VARIANT),
    hostName: env.PAAS_HOST_NAME || 'local',
    hostLeaseMs: millis(env, 'PAAS_HOST_LEASE_MS', 2_000),
    hostGraceMs: millis(env, 'PAAS_HOST_GRACE_MS', 10_000),
    hostEvictionMs: millis(env, 'PAAS_HOST_EVICTION_MS', 5_000),
    trials: settingsFromEnv(env, 'open'),
    registryGcMs: millis(env, 'PAAS_REGISTRY_GC_MS', 60 * 60_000),
    registryResyncMs: millis(env, 'PAAS_REGISTRY_RESYNC_MS', 5 * 60_000),
    idleAfterMs: idleAfterFrom(env),
    idleReportMs: millis(env, 'PAAS_IDLE_REPORT_MS', 60_000),
  };
}

function builderVariant(raw: string | undefined): UpConfig['builderVariant'] {
  // Containers here have no route to a package index, so the default builder carries the
  // common frameworks from Debian's packages.
  const v = raw || 'test';
  if (v !== 'test' && v !== 'plain' && v !== 'off') throw new Error(`PAAS_BUILDER_VARIANT=${raw} is not one of test, plain, off`);
  return v;
}
