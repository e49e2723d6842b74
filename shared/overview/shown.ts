// The kinds a project's overview shows, by the overview's name for each: what the overview reads
// (read.ts), and what a change to tells the overview's watchers (shared/push/topics.ts).
export const OVERVIEW_SHOWN = { deploymentConfigs: 'DeploymentConfig', pods: 'Pod', builds: 'Build', services: 'Service', routes: 'Route', quotas: 'ResourceQuota' } as const;

/** The kinds the overview shows. */
export const OVERVIEW_KINDS: ReadonlySet<string> = new Set(Object.values(OVERVIEW_SHOWN));
