// Routes for every project-scoped kind in the registry: list, create, get, replace, delete,
// and the status path controllers use.
import type { Hono } from 'hono';
import * as z from 'zod';
import { ValidationError } from '../../errors.ts';
import { KINDS, type KindDef } from '../../model/kinds.ts';
import type { BerthObject } from '../../model/types.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';
import {
  CreateMeta,
  DeleteQuery,
  ListQuery,
  ProjectNameParam,
  ProjectParam,
  UpdateMeta,
  listOut,
  objectOut,
  parseSelector,
} from '../schemas.ts';
import { deleteObject } from '../../store/deletion.ts';
import { getOr404, listResponse, replaceFromBody } from './common.ts';

export function registerObjectRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  for (const def of KINDS.values()) if (def.scope === 'project') registerKind(app, deps, def);
}

function registerKind(app: Hono<ApiEnv>, deps: ApiDeps, def: KindDef): void {
  const { kind, plural, category: resource } = def;
  const base = `/api/v1/projects/{project}/${plural}`;
  const out = objectOut(kind, def.spec, def.status);
  const tag = kind;
  const ref = (project: string, name: string) => ({ kind, project, name });
  const codec = deps.codecs?.[kind];
  const open = async <T extends BerthObject>(o: T): Promise<T> => (codec ? { ...o, spec: await codec.open(o.spec) } : o);

  defineRoute(
    app,
    deps,
    { method: 'get', path: base, access: { kind: 'project', verb: 'list', resource }, summary: `List ${plural}`, tag, params: ProjectParam, query: ListQuery, response: listOut(kind, out) },
    async (c, { params, query }) => {
      const page = await deps.store.list(kind, params.project, { limit: query.limit, continue: query.continue, labels: parseSelector(query.labelSelector) });
      return c.json(listResponse(kind, { ...page, items: await Promise.all(page.items.map(open)) }));
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'get', path: `${base}/{name}`, access: { kind: 'project', verb: 'get', resource }, summary: `Read a ${kind}`, tag, params: ProjectNameParam, response: out },
    async (c, { params }) => c.json(await open(await getOr404(deps.store, ref(params.project, params.name)))),
  );

  if (def.writable) {
    // A kind that gives annotations a meaning checks them (Route: values HAProxy would refuse get 422).
    const createMeta = def.annotations ? CreateMeta.extend({ annotations: def.annotations.optional() }) : CreateMeta;
    const updateMeta = def.annotations ? UpdateMeta.extend({ annotations: def.annotations.optional() }) : UpdateMeta;
    const createBody = lazySchema(() => z.strictObject({ kind: z.literal(kind).optional(), metadata: createMeta, spec: def.spec, status: z.unknown().optional() }));
    const replaceBody = lazySchema(() => z.strictObject({ kind: z.literal(kind).optional(), metadata: updateMeta, spec: def.spec, status: z.unknown().optional() }));

    defineRoute(
      app,
      deps,
      { method: 'post', path: base, access: { kind: 'project', verb: 'create', resource }, summary: `Create a ${kind}`, tag, params: ProjectParam, body: createBody, response: out, status: 201 },
      async (c, { params, body }) => {
        checkProject(body.metadata.project, params.project);
        const created = await deps.store.create({
          kind,
          metadata: { name: body.metadata.name, project: params.project, labels: body.metadata.labels, annotations: body.metadata.annotations },
          spec: codec ? await codec.seal(body.spec) : body.spec,
        });
        return c.json(await open(created), 201);
      },
    );

    defineRoute(
      app,
      deps,
      { method: 'put', path: `${base}/{name}`, access: { kind: 'project', verb: 'update', resource }, summary: `Replace a ${kind}'s spec and metadata`, tag, params: ProjectNameParam, body: replaceBody, response: out },
      async (c, { params, body }) => {
        checkProject(body.metadata.project, params.project);
        const target = ref(params.project, params.name);
        const spec = codec ? await codec.seal(body.spec, (await getOr404(deps.store, target)).spec) : body.spec;
        return c.json(await open(await replaceFromBody(deps.store, target, { ...body, spec })));
      },
    );
  }

  if (def.writable || def.deletable) {
    defineRoute(
      app,
      deps,
      {
        method: 'delete',
        path: `${base}/{name}`,
        access: { kind: 'project', verb: 'delete', resource },
        summary: `Delete a ${kind} (one with finalizers is marked, and goes once they are done)`,
        tag,
        params: ProjectNameParam,
        query: DeleteQuery,
        status: 204,
      },
      async (c, { params, query }) => {
        await deleteObject(deps.store, ref(params.project, params.name), { resourceVersion: query.resourceVersion });
        return c.body(null, 204);
      },
    );
  }

  const statusBody = lazySchema(() => z.strictObject({ metadata: z.object({ resourceVersion: z.string().min(1) }).passthrough(), status: def.status, kind: z.string().optional(), spec: z.unknown().optional() }));
  defineRoute(
    app,
    deps,
    { method: 'put', path: `${base}/{name}/status`, access: { kind: 'project', verb: 'updateStatus', resource }, summary: `Write a ${kind}'s status (controllers)`, tag, params: ProjectNameParam, body: statusBody, response: out },
    async (c, { params, body }) => {
      const target = { kind, metadata: { ...ref(params.project, params.name), resourceVersion: body.metadata.resourceVersion }, status: body.status };
      return c.json(await open(await deps.store.updateStatus(target as unknown as BerthObject)));
    },
  );
}

function checkProject(given: string | undefined, path: string): void {
  if (given !== undefined && given !== path) throw ValidationError.field('metadata.project', `must be "${path}", the project in the path`);
}
