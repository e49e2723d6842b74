// A project's overview: each application (DeploymentConfig) at a glance with its pods, last
// build and route URLs, and the project's quota use. The shape the API answers
// (GET /api/v1/projects/{project}/overview) and the console and CLI show; summaries only, so
// nothing a `view` member may not read (no specs, no environment, no secrets) is in it.
import * as z from 'zod';

export const OverviewPod = z.object({
  name: z.string(),
  phase: z.string().optional(),
  reason: z.string().optional(),
  restartCount: z.number().int(),
  startTime: z.string().optional(),
});

export const OverviewApp = z.object({
  name: z.string(),
  replicas: z.number().int(),
  readyReplicas: z.number().int(),
  latestVersion: z.number().int(),
  /** Why the latest revision was made (ConfigChange, ImageChange, Manual, Rollback). */
  cause: z.string().optional(),
  /** Newest first. */
  pods: z.array(OverviewPod),
  lastBuild: z.object({ name: z.string(), phase: z.string().optional(), creationTimestamp: z.string().optional() }).optional(),
  /** The routes to the app's services, with the URL a browser opens (none before the route has a host). */
  routes: z.array(z.object({ name: z.string(), host: z.string().optional(), url: z.string().optional(), tls: z.string().optional() })),
});

export const OverviewQuota = z.object({ name: z.string(), hard: z.record(z.string(), z.string()), used: z.record(z.string(), z.string()) });

export const ProjectOverview = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ProjectOverview'),
  metadata: z.object({
    project: z.string(),
    /** A watch cursor: give it back with `watch=1` to be answered when something shown here changed. */
    resourceVersion: z.string(),
  }),
  /** In a watch answer: whether anything changed since the cursor given (false: the wait timed out). */
  changed: z.boolean().optional(),
  apps: z.array(OverviewApp),
  quotas: z.array(OverviewQuota),
});

export type OverviewPod = z.infer<typeof OverviewPod>;
export type OverviewApp = z.infer<typeof OverviewApp>;
export type OverviewQuota = z.infer<typeof OverviewQuota>;
export type ProjectOverview = z.infer<typeof ProjectOverview>;
