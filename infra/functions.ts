// Every Lambda function of the control plane, one line each: what it runs, what starts it and
// what it may touch. Adding a function (webhooks, a new reconciler family) is one more line;
// the control-plane stack turns each line into a PlatformFunction, its triggers and its grants.

/** What starts a function. */
export type Trigger =
  /** An HTTP API route: `$default` or `METHOD /path` (API Gateway HTTP API, payload v2). */
  | { kind: 'http'; route: string }
  /** The table's DynamoDB stream (batch item failures, bisect, bounded retries, failure queue). */
  | { kind: 'stream' }
  /** An EventBridge schedule. */
  | { kind: 'schedule'; everyMinutes: number }
  /** ECS task state changes in Berth's cluster (EventBridge rule). */
  | { kind: 'ecs-task-state' }
  /** State changes of pod tasks and of container instances in Berth's cluster (two EventBridge rules). */
  | { kind: 'ecs-fleet-events' }
  /** ECR's successful pushes to repositories under berth/ (EventBridge rule on "ECR Image Action"). */
  | { kind: 'ecr-pushes' }
  /** Every route of the push connections' WebSocket API ($connect, $disconnect, $default). */
  | { kind: 'websocket' };

/**
 * What a function may touch. `table`: read and write the table. `fleet`: run builds and start or
 * stop tasks in Berth's ECS cluster. `autoscale`: scale the tenant hosts' Auto Scaling group (the
 * fleet autoscaler). `registry`: create and manage ECR repositories under berth/.
 * `secrets`: seal and open secrets with the KMS key. `admin-secret`: read the generated first
 * administrator password. `builds`: serve the build routes (store uploaded sources, name the
 * builder images). `build-cleanup`: delete the uploaded sources of deleted builds.
 * `project-roles`: make and remove each project's pod execution role (under /berth/projects/,
 * with the fleet's permissions boundary). `claims`: make and delete claims' EFS access points and
 * write each project role's claim-mounts policy. `claims-data`: the claims file system mounted in
 * the function (in the VPC), to wipe deleted claims' directories. `service-discovery`: keep
 * Services' names in Cloud Map (a private DNS namespace per project, in the pods' VPC).
 * `registry-push`: hand out push logins per project (assume the push role with a session policy;
 * make the project's repositories). `registry-host`: only the registry's address, to name pushed images.
 * `push-connections`: read the table, write only push connections' items (W#…) and rate counts (R#). `push-notify`:
 * post to the push connections (PostToConnection on the WebSocket stage). `push-url`: only the
 * push connections' wss URL, to advertise it.
 */
export type Access = 'table' | 'fleet' | 'autoscale' | 'registry' | 'secrets' | 'admin-secret' | 'builds' | 'build-cleanup' | 'project-roles' | 'pod-streams' | 'claims' | 'claims-data' | 'service-discovery' | 'registry-push' | 'registry-host' | 'image-import' | 'push-connections' | 'push-notify' | 'push-url';

export interface FunctionSpec {
  /** Short name: construct id and part of the log group name. */
  name: string;
  /** Entry file, relative to the repository; it exports `handler`. */
  entry: string;
  description: string;
  memoryMiB: number;
  timeoutSeconds: number;
  triggers: Trigger[];
  access: Access[];
  /** Serves the web console at /console (only the API): its bundle carries the console's script and stylesheet. */
  console?: boolean;
}

/** Reconcilers get the same access whichever event woke them: they all act on the whole system. */
const RECONCILER_ACCESS: Access[] = ['table', 'fleet', 'registry', 'secrets', 'build-cleanup', 'project-roles', 'service-discovery'];

export const FUNCTIONS: readonly FunctionSpec[] = [
  { name: 'api', entry: 'functions/api/index.ts', description: 'Berth REST API', memoryMiB: 1024, timeoutSeconds: 15, triggers: [{ kind: 'http', route: '$default' }], access: ['table', 'secrets', 'admin-secret', 'builds', 'pod-streams', 'registry-push', 'image-import', 'push-url'], console: true },
  { name: 'webhooks', entry: 'functions/webhooks/index.ts', description: 'Berth webhooks (GitHub, GitLab, generic)', memoryMiB: 512, timeoutSeconds: 10, triggers: [{ kind: 'http', route: 'POST /webhooks/{proxy+}' }], access: ['table', 'secrets'] },
  { name: 'stream', entry: 'functions/reconcilers/stream.ts', description: 'Reconcilers driven by the table stream', memoryMiB: 512, timeoutSeconds: 60, triggers: [{ kind: 'stream' }], access: [...RECONCILER_ACCESS, 'push-notify'] },
  // Open to anyone who can reach the WebSocket API: it reads tokens and role bindings, and writes only who watches what.
  { name: 'push', entry: 'functions/push/index.ts', description: 'Push connections: open, watch, close (WebSocket API routes)', memoryMiB: 256, timeoutSeconds: 10, triggers: [{ kind: 'websocket' }], access: ['push-connections'] },
  { name: 'fleet-events', entry: 'functions/fleet-events/index.ts', description: 'ECS pod task and container instance state changes to pods and host leases', memoryMiB: 256, timeoutSeconds: 30, triggers: [{ kind: 'ecs-fleet-events' }], access: ['table'] },
  { name: 'registry-events', entry: 'functions/registry-events/index.ts', description: 'Pushes to ECR move image stream tags', memoryMiB: 256, timeoutSeconds: 30, triggers: [{ kind: 'ecr-pushes' }], access: ['table', 'registry-host'] },
  // The one function in the VPC, with the claims file system mounted: claims' access points, their projects' mount grants, and deleted claims' data.
  { name: 'claims', entry: 'functions/claims/index.ts', description: 'Persistent volume claims on EFS: access points, mount grants, data of deleted claims', memoryMiB: 256, timeoutSeconds: 300, triggers: [{ kind: 'schedule', everyMinutes: 1 }], access: ['table', 'claims', 'claims-data'] },
  { name: 'resync', entry: 'functions/reconcilers/resync.ts', description: 'Periodic resync and ECS task state changes', memoryMiB: 512, timeoutSeconds: 60, triggers: [{ kind: 'schedule', everyMinutes: 1 }, { kind: 'ecs-task-state' }], access: [...RECONCILER_ACCESS, 'autoscale'] },
];
