// Projects (shared/project/): any signed-in user may create one and becomes its admin; deleting
// one finalises it (the project finalizer removes its contents, then the project).
import type { Hono } from 'hono';
import * as z from 'zod';
import { projectSpec, projectStatus } from '../../model/kinds.ts';
import { mayCreateProject } from '../../project/create.ts';
import { provisionProject } from '../../trials/provision.ts';
import { clientAddress } from '../client-address.ts';
import { requestProjectDeletion } from '../../project/deletion.ts';
import { visibleProjects } from '../../project/visible.ts';
import { withApiVersion } from '../../model/api-versions.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';
import { apiVersionField, CreateMeta, ListQuery, ProjectParam, UpdateMeta, listOut, objectOut, parseSelector, specOrEmpty } from '../schemas.ts';
import { getOr404, guardMetadata, listResponse, replaceFromBody } from './common.ts';
import { ForbiddenError } from '../../errors.ts';
import { ALLOW_DOCKER_BUILDS } from '../../builds/admission.ts';

const ProjectOut = objectOut('Project', projectSpec, projectStatus.partial());
const CreateBody = z.strictObject({ apiVersion: apiVersionField('Project'), kind: z.literal('Project').optional(), metadata: CreateMeta.omit({ project: true }), spec: specOrEmpty(projectSpec) });
const ReplaceBody = z.strictObject({ apiVersion: apiVersionField('Project'), kind: z.literal('Project').optional(), metadata: UpdateMeta.omit({ project: true }), spec: specOrEmpty(projectSpec), status: z.unknown().optional() });
const tag = 'Project';

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
      const names = await visibleProjects(deps.store, user, await deps.identity.groupsOf(user));
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
      const m = body.metadata;
      await mayCreateProject(m.name, () => deps.identity.isClusterAdmin(user));
      await guardAdminAnnotations(deps, user, undefined, m.annotations);
      const { labels, annotations } = await guardMetadata(deps, user, undefined, m);
      const project = await provisionProject({ store: deps.store, identity: deps.identity, projectsPerUser: deps.trials?.projectsPerUser, now: deps.trials?.now }, { name: m.name, requester: user, labels, annotations, spec: body.spec }, clientAddress(c));
      return c.json(withApiVersion(project, body.apiVersion), 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/projects/{project}', access: { kind: 'project', verb: 'get', resource: 'project' }, summary: 'Read a project', tag, params: ProjectParam, response: ProjectOut },
    async (c, { params }) => c.json(withApiVersion(await getOr404(deps.store, ref(params.project)))),
  );

  defineRoute(
    app,
    deps,
    { method: 'put', path: '/api/v1/projects/{project}', access: { kind: 'project', verb: 'update', resource: 'project' }, summary: "Replace a project's display name, description, labels and annotations", tag, params: ProjectParam, body: ReplaceBody, response: ProjectOut },
    async (c, { params, body }) => {
      const stored = await getOr404(deps.store, ref(params.project));
      await guardAdminAnnotations(deps, c.get('user'), stored.metadata.annotations, body.metadata.annotations);
      return c.json(withApiVersion(await replaceFromBody(deps, c.get('user'), ref(params.project), body), body.apiVersion));
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'delete', path: '/api/v1/projects/{project}', access: { kind: 'project', verb: 'delete', resource: 'project' }, summary: 'Delete a project and everything in it', tag, params: ProjectParam, response: ProjectOut, status: 202 },
    async (c, { params }) => c.json(await requestProjectDeletion(deps.store, params.project), 202),
  );
}

/** Project annotations only a cluster admin may set or change (what the platform lets the project do). */
const ADMIN_ANNOTATIONS = [ALLOW_DOCKER_BUILDS];

async function guardAdminAnnotations(deps: ApiDeps, user: string, stored: Record<string, string> | undefined, given: Record<string, string> | undefined): Promise<void> {
  const changed = ADMIN_ANNOTATIONS.filter((a) => (stored?.[a] ?? undefined) !== (given?.[a] ?? undefined));
  if (changed.length && !(await deps.identity.isClusterAdmin(user))) {
    throw new ForbiddenError(`metadata.annotations["${changed[0]}"] can be set only by a cluster admin`, 'ask a cluster admin');
  }
}
