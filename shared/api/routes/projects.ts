// Projects: any signed-in user may create one and becomes its admin; deleting one finalises it
// (the project reconciler removes its contents, then the project).
import type { Hono } from 'hono';
import * as z from 'zod';
import { projectSpec, projectStatus, type RoleBindingSpec } from '../../model/kinds.ts';
import type { BerthObject } from '../../model/types.ts';
import { PROJECT_FINALIZER } from '../../reconcile/project-finalizer.ts';
import { createProjectWithUidRange } from '../../fleet/uid-ranges.ts';
import { eachOfKind } from '../../store/each.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';
import { CreateMeta, ListQuery, ProjectParam, UpdateMeta, listOut, objectOut, parseSelector } from '../schemas.ts';
import { getOr404, listResponse, replaceFromBody } from './common.ts';

const ProjectOut = objectOut('Project', projectSpec, projectStatus.partial());
const CreateBody = z.strictObject({ kind: z.literal('Project').optional(), metadata: CreateMeta.omit({ project: true }), spec: projectSpec.default({}) });
const ReplaceBody = z.strictObject({ kind: z.literal('Project').optional(), metadata: UpdateMeta.omit({ project: true }), spec: projectSpec, status: z.unknown().optional() });
const tag = 'Project';

type Project = BerthObject<z.infer<typeof projectSpec>, { phase?: string }>;

export function registerProjectRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const ref = (name: string) => ({ kind: 'Project', project: '', name });

  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/projects', access: { kind: 'authenticated' }, summary: 'List the projects you can see', tag, query: ListQuery, response: listOut('Project', ProjectOut) },
    async (c, { query }) => {
      const user = c.get('user');
      if (await deps.identity.isClusterAdmin(user)) {
        const page = await deps.store.list('Project', '', { limit: query.limit, continue: query.continue, labels: parseSelector(query.labelSelector) });
        return c.json(listResponse('Project', page));
      }
      const names = await visibleProjects(deps, user);
      const items = (await Promise.all([...names].sort().map((n) => deps.store.get(ref(n))))).filter((p) => p !== undefined);
      return c.json(listResponse('Project', { items }));
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: '/api/v1/projects', access: { kind: 'authenticated' }, summary: 'Create a project; you become its admin', tag, body: CreateBody, response: ProjectOut, status: 201 },
    async (c, { body }) => {
      const user = c.get('user');
      const name = body.metadata.name;
      const binding: RoleBindingSpec = { role: 'admin', subjects: [{ kind: 'User', name: user }] };
      const [project] = await createProjectWithUidRange(
        deps.store,
        {
          kind: 'Project',
          metadata: { name, project: '', labels: body.metadata.labels, annotations: { ...body.metadata.annotations, 'berth.io/requester': user }, finalizers: [PROJECT_FINALIZER] },
          spec: body.spec,
          status: { phase: 'Active' },
        },
        [{ kind: 'RoleBinding', metadata: { name: 'admin', project: name }, spec: binding }],
      );
      return c.json(project, 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/projects/{project}', access: { kind: 'project', verb: 'get', resource: 'project' }, summary: 'Read a project', tag, params: ProjectParam, response: ProjectOut },
    async (c, { params }) => c.json(await getOr404(deps.store, ref(params.project))),
  );

  defineRoute(
    app,
    deps,
    { method: 'put', path: '/api/v1/projects/{project}', access: { kind: 'project', verb: 'update', resource: 'project' }, summary: "Replace a project's display name, description, labels and annotations", tag, params: ProjectParam, body: ReplaceBody, response: ProjectOut },
    async (c, { params, body }) => {
      return c.json(await replaceFromBody(deps.store, ref(params.project), body));
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'delete', path: '/api/v1/projects/{project}', access: { kind: 'project', verb: 'delete', resource: 'project' }, summary: 'Delete a project and everything in it', tag, params: ProjectParam, response: ProjectOut, status: 202 },
    async (c, { params }) => c.json(await requestProjectDeletion(deps, params.project), 202),
  );
}

/** Marks a project Terminating; the project reconciler does the rest. Idempotent. */
export async function requestProjectDeletion(deps: Pick<ApiDeps, 'store'>, name: string): Promise<Project> {
  for (;;) {
    const stored = await getOr404<Project>(deps.store, { kind: 'Project', project: '', name });
    if (stored.metadata.deletionTimestamp) return stored;
    try {
      const marked = await deps.store.update({ ...stored, metadata: { ...stored.metadata, deletionTimestamp: new Date().toISOString() } });
      return await deps.store.updateStatus({ ...marked, status: { ...marked.status, phase: 'Terminating' } });
    } catch (err) {
      if ((err as { code?: string }).code !== 'Conflict') throw err;
    }
  }
}

/** Names of the projects where the user, or a group of theirs, holds any role. */
async function visibleProjects(deps: ApiDeps, user: string): Promise<Set<string>> {
  const groups = await deps.identity.groupsOf(user);
  const names = new Set<string>();
  for await (const b of eachOfKind<BerthObject<RoleBindingSpec>>(deps.store, 'RoleBinding')) {
    if (b.spec.subjects.some((s) => (s.kind === 'User' && s.name === user) || (s.kind === 'Group' && groups.includes(s.name)))) {
      names.add(b.metadata.project);
    }
  }
  return names;
}
