// DeploymentConfig actions beyond plain objects (shared/deploy/actions.ts): roll out the latest
// (instantiate), roll back to an earlier revision, scale, and idle or wake (shared/idling).
import type { Hono } from 'hono';
import * as z from 'zod';
import { rollback, rolloutLatest, scaleDeploymentConfig } from '../../deploy/actions.ts';
import { idleDeploymentConfig, unidleDeploymentConfig } from '../../idling/actions.ts';
import { auditPodSession } from '../../events/audit.ts';
import { startOneOff } from '../../deploy/run-pod.ts';
import { ValidationError } from '../../errors.ts';
import { imageProblem } from '../../images/access.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';
import { ProjectNameParam } from '../schemas.ts';

const RollbackBody = z.strictObject({ toRevision: z.number().int().min(1).optional() });
const RunBody = z.strictObject({
  command: z.array(z.string().max(4096)).min(1).max(64),
  image: z.string().min(1).max(512).optional(),
});
const ScaleBody = z.strictObject({ replicas: z.number().int().min(0).max(1000) });

export function registerDeploymentRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const tag = 'DeploymentConfig';
  const dcPath = '/api/v1/projects/{project}/deploymentconfigs/{name}';
  const dcRef = (p: { project: string; name: string }) => ({ kind: 'DeploymentConfig', project: p.project, name: p.name });

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/instantiate`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: 'Roll out the latest template as a new revision (cause Manual)', tag, params: ProjectNameParam, status: 201 },
    async (c, { params }) => c.json(await rolloutLatest(deps.store, dcRef(params), c.get('user')), 201),
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/rollback`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: "Roll back to a revision's template (default: the previous complete one); automatic image triggers are turned off", tag, params: ProjectNameParam, body: RollbackBody, status: 201 },
    async (c, { params, body }) => c.json(await rollback(deps.store, dcRef(params), body.toRevision, c.get('user')), 201),
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/run`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: "Start a one-off pod from the running template (image, env, secrets, volumes, limits) that runs `command` once, never restarted; it counts against the quota. Its output is its log, its exit code `status.exitCode` once `status.phase` is Succeeded or Failed", tag, params: ProjectNameParam, body: RunBody, status: 201 },
    async (c, { params, body }) => {
      const problem = body.image && deps.buildPolicy?.registry ? imageProblem(body.image, params.project, deps.buildPolicy.registry) : undefined;
      if (problem) throw ValidationError.field('image', `the image ${body.image} ${problem}`);
      const pod = await startOneOff(deps.store, params.project, params.name, body, c.get('user'));
      await auditPodSession(deps.store, { project: params.project, pod: pod.metadata.name, user: c.get('user'), action: 'run', detail: body.command.join(' ') });
      return c.json(pod, 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'put', path: `${dcPath}/scale`, access: { kind: 'project', verb: 'update', resource: 'app' }, summary: 'Set the number of replicas', tag, params: ProjectNameParam, body: ScaleBody },
    async (c, { params, body }) => c.json(await scaleDeploymentConfig(deps.store, dcRef(params), body.replicas)),
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/idle`, access: { kind: 'project', verb: 'update', resource: 'app' }, summary: 'Idle: scale to 0, remembering the replicas; the next request through a route wakes it', tag, params: ProjectNameParam },
    async (c, { params }) => c.json(await idleDeploymentConfig(deps.store, dcRef(params), Date.now(), `idled by ${c.get('user')}`)),
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/unidle`, access: { kind: 'project', verb: 'update', resource: 'app' }, summary: 'Wake an idled deployment config: scale back to the replicas it had', tag, params: ProjectNameParam },
    async (c, { params }) => c.json(await unidleDeploymentConfig(deps.store, dcRef(params), Date.now(), `woken by ${c.get('user')}`)),
  );
}
