// DeploymentConfig actions beyond plain objects: roll out the latest (instantiate), roll back
// to an earlier revision, and scale.
import type { Hono } from 'hono';
import * as z from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { deploymentConfigSpec, type DeploymentConfigSpec } from '../../model/deploy-kinds.ts';
import type { DeploymentConfig, ReplicationController } from '../../deploy/pods.ts';
import { revisionsOf, startRevision } from '../../deploy/rollout-revision.ts';
import { dcTemplateOf, revisionOf } from '../../deploy/rollout-template.ts';
import type { ObjectRef } from '../../model/types.ts';
import type { ObjectStore } from '../../store/ports.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';
import { ProjectNameParam } from '../schemas.ts';
import { getOr404 } from './common.ts';

const RollbackBody = z.strictObject({ toRevision: z.number().int().min(1).optional() });
const ScaleBody = z.strictObject({ replicas: z.number().int().min(0).max(1000) });

/** Reads the DC, changes its spec and writes it back on condition, retrying when someone wrote in between. */
async function changeSpec(store: ObjectStore, ref: ObjectRef, change: (dc: DeploymentConfig) => DeploymentConfigSpec): Promise<DeploymentConfig> {
  for (let i = 0; ; i++) {
    const dc = await getOr404<DeploymentConfig>(store, ref);
    const spec = change({ ...dc, spec: deploymentConfigSpec.parse(dc.spec) });
    try {
      const m = dc.metadata;
      return await store.replace<DeploymentConfig>(ref, { resourceVersion: m.resourceVersion, labels: m.labels, annotations: m.annotations, spec });
    } catch (err) {
      if (!(err instanceof ConflictError) || i >= 10) throw err;
    }
  }
}

const pausedError = (name: string) =>
  new ConflictError(`deployment config "${name}" is paused`, 'resume it first (set spec.paused to false), then roll out');

export function registerDeploymentRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const tag = 'DeploymentConfig';
  const dcPath = '/api/v1/projects/{project}/deploymentconfigs/{name}';
  const dcRef = (p: { project: string; name: string }) => ({ kind: 'DeploymentConfig', project: p.project, name: p.name });

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/instantiate`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: 'Roll out the latest template as a new revision (cause Manual)', tag, params: ProjectNameParam, status: 201 },
    async (c, { params }) => {
      const dc = await getOr404<DeploymentConfig>(deps.store, dcRef(params));
      if (dc.spec.paused) throw pausedError(params.name);
      const rc = await startRevision(deps.store, { ...dc, spec: deploymentConfigSpec.parse(dc.spec), status: dc.status ?? {} }, 'Manual', `manual rollout by ${c.get('user')}`, Date.now());
      return c.json(rc, 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${dcPath}/rollback`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: "Roll back to a revision's template (default: the previous complete one); automatic image triggers are turned off", tag, params: ProjectNameParam, body: RollbackBody, status: 201 },
    async (c, { params, body }) => {
      const current = await getOr404<DeploymentConfig>(deps.store, dcRef(params));
      if (current.spec.paused) throw pausedError(params.name);
      const rcs = await revisionsOf(deps.store, params.project, params.name);
      const latest = rcs.at(-1);
      let target: ReplicationController | undefined;
      if (body.toRevision !== undefined) {
        target = rcs.find((rc) => revisionOf(rc) === body.toRevision);
        if (!target) throw new NotFoundError('revision', `${params.name}-${body.toRevision}`);
      } else {
        target = rcs.filter((rc) => rc !== latest && rc.status.phase === 'Complete').at(-1);
        if (!target) throw new ValidationError('there is no earlier complete revision to roll back to', [{ field: 'toRevision', message: 'no earlier complete revision; name one with toRevision' }], 'see `berth rollout history dc/NAME`');
      }
      const template = dcTemplateOf(target);
      const dc = await changeSpec(deps.store, dcRef(params), (d) => ({
        ...d.spec,
        template,
        triggers: d.spec.triggers.map((t) => (t.type === 'ImageChange' ? { ...t, imageChangeParams: { ...t.imageChangeParams, automatic: false } } : t)),
      }));
      const rc = await startRevision(deps.store, { ...dc, spec: deploymentConfigSpec.parse(dc.spec), status: dc.status ?? {} }, 'Rollback', `rollback to revision ${revisionOf(target)} by ${c.get('user')}`, Date.now());
      return c.json(rc, 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'put', path: `${dcPath}/scale`, access: { kind: 'project', verb: 'update', resource: 'app' }, summary: 'Set the number of replicas', tag, params: ProjectNameParam, body: ScaleBody },
    async (c, { params, body }) => c.json(await changeSpec(deps.store, dcRef(params), (dc) => ({ ...dc.spec, replicas: body.replicas }))),
  );
}
