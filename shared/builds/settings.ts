// The platform's build settings, from its environment: the limits every build runs under and
// whether local git sources are allowed. Pure; entry points (the builder agent, `npm run up`,
// the Lambda wiring) read them once.
import type { PipSettings } from './egress.ts';
import type { GitPolicy } from './git-source.ts';

export interface BuildLimits {
  /** Memory of each build container (fetch, S2I steps, Dockerfile steps), without swap. */
  memoryBytes: number;
  /** CPU of each build container, in billionths of a CPU. */
  nanoCpus: number;
  /** How long a whole build may run before it fails with DeadlineExceeded. */
  timeoutMs: number;
  /** How much of a build's log is kept; past it the log is cut with a note. */
  logBytes: number;
}

export interface BuildSettings {
  limits: BuildLimits;
  git: GitPolicy;
  /** The image git runs in (berth/git locally, the builder agent's image on AWS). */
  fetchImage: string;
  /** Where builds' pip installs from, when not the platform's own index or CodeArtifact. */
  pip: PipSettings;
}

export const DEFAULT_LIMITS: BuildLimits = { memoryBytes: 2048 * 2 ** 20, nanoCpus: 1e9, timeoutMs: 3600_000, logBytes: 10 * 2 ** 20 };

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
}

function indexUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || !/^https?:$/.test(url.protocol)) throw new Error(`PAAS_PIP_INDEX_URL must be an http(s) URL of a package index, not "${raw}"`);
  return raw;
}

/**
 * PAAS_BUILD_MEMORY_MB (2048), PAAS_BUILD_CPUS (1), PAAS_BUILD_TIMEOUT_SECONDS (3600),
 * PAAS_BUILD_LOG_BYTES (10 MiB), PAAS_ALLOW_LOCAL_GIT (off; "1" allows local paths, file:// and
 * loopback git URLs, for development and tests), BERTH_FETCH_IMAGE (berth/git:bookworm),
 * PAAS_PIP_INDEX_URL and PAAS_PIP_TRUSTED_HOST (pip's index for builds; an http(s) URL).
 */
export function buildSettings(env: NodeJS.ProcessEnv): BuildSettings {
  return {
    limits: {
      memoryBytes: Math.round(positive(env, 'PAAS_BUILD_MEMORY_MB', DEFAULT_LIMITS.memoryBytes / 2 ** 20) * 2 ** 20),
      nanoCpus: Math.round(positive(env, 'PAAS_BUILD_CPUS', DEFAULT_LIMITS.nanoCpus / 1e9) * 1e9),
      timeoutMs: Math.round(positive(env, 'PAAS_BUILD_TIMEOUT_SECONDS', DEFAULT_LIMITS.timeoutMs / 1000) * 1000),
      logBytes: Math.round(positive(env, 'PAAS_BUILD_LOG_BYTES', DEFAULT_LIMITS.logBytes)),
    },
    git: { allowLocal: env.PAAS_ALLOW_LOCAL_GIT === '1' },
    fetchImage: env.BERTH_FETCH_IMAGE || 'berth/git:bookworm',
    pip: { indexUrl: indexUrl(env.PAAS_PIP_INDEX_URL), trustedHost: env.PAAS_PIP_TRUSTED_HOST || undefined },
  };
}
