// Routes for every project-scoped kind in the registry: list, create, get, replace, delete,
// and the status path controllers use.
import type { Hono } from 'hono';
import * as z from 'zod';
import { ValidationError } from '../../errors.ts';
import { withApiVersion } from '../../model/api-versions.ts';
import { KINDS, type KindDef } from '../../model/kinds.ts';
import type { BerthObject } from '../../model/types.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';
import {
  apiVersionField,
  CreateMeta,
  DeleteQuery,
  ProjectNameParam,
  ProjectParam,
  UpdateMeta,
  WriteQuery,
  listOut,
  objectOut,
  parseSelector,
  specOrEmpty,
} from '../schemas.ts';
import { deleteObject } from '../../store/deletion.ts';
import { getOr404, guardMetadata, listResponse, replaceFromBody } from './common.ts';
import { PUSH_HEADER } from '../../push/topics.ts';
import { WatchQuery, nameOfSelector, readAll, watchAnswer } from '../watch-route.ts';
import { generatedHostProblem, withHostClaim } from '../../routing/host-claims.ts';
import { codecOf, readerView } from '../shown.ts';
import { admitSpec } from '../admission.ts';
import { TOP_LEVEL_FIELDS } from '../../model/config-kinds.ts';
import { prepareSpec, specOfBody } from '../../secrets/secret-spec.ts';
import { AlreadyExistsError } from '../../errors.ts';
import { dryRunObject } from '../../templates/dry-run.ts';
import { admitClaimUpdate } from '../../volumes/admission.ts';
import { CLAIM_KIND } from '../../volumes/claims.ts';
import type { PersistentVolumeClaimSpec } from '../../model/volume-kinds.ts';
import type { ServiceSpec } from '../../model/deploy-kinds.ts';
import { serviceAddresses } from '../../services/cluster-ips.ts';

export function registerObjectRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  for (const def of KINDS.values()) if (def.scope === 'project') registerKind(app, deps, def);
}

function registerKind(app: Hono<ApiEnv>, deps: ApiDeps, def: KindDef): void {
  const { kind, plural, category: resource } = def;
  const base = `/api/v1/projects/{project}/${plural}`;
  const out = objectOut(kind, def.spec, def.status);
  const tag = kind;
  const ref = (project: string, name: string) => ({ kind, project, name });
  const codec = codecOf(deps, kind);
  const services = serviceAddresses(deps.store, { byName: deps.servicesByName });
  // What a reader gets (shown.ts): sealed specs opened, a quota's status, secrets redacted for some.
  const { open, shown } = readerView(deps, kind);
  // A route may not take another project's generated host (the router refuses it too; this says so at once).
  const checkHost = (project: string, spec: unknown) => {
    const host = kind === 'Route' && deps.appsDomain ? (spec as { host?: string }).host : undefined;
    const problem = host ? generatedHostProblem(host, project, deps.appsDomain!) : undefined;
    if (problem) throw ValidationError.field('spec.host', problem);
  };

  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: base,
      access: { kind: 'project', verb: 'list', resource },
      summary: `List ${plural}, or watch them (\`watch=1\`: a long poll answered with the changes since \`resourceVersion\`)`,
      tag,
      params: ProjectParam,
      query: WatchQuery,
      response: listOut(kind, out),
    },
    async (c, { params, query }) => {
      const labels = parseSelector(query.labelSelector);
      const named = nameOfSelector(query.fieldSelector);
      if (query.watch) {
        const read = async () => shown(c, (await readAll(deps.store, kind, params.project, labels)).filter((o) => !named || o.metadata.name === named));
        if (deps.watchPush) c.header(PUSH_HEADER, deps.watchPush.url);
        return c.json(await watchAnswer(deps, read, query, c.req.raw.signal));
      }
      if (query.resourceVersion !== undefined || query.timeoutSeconds !== undefined) throw ValidationError.field(query.resourceVersion !== undefined ? 'resourceVersion' : 'timeoutSeconds', 'only with watch=1');
      const page = await deps.store.list(kind, params.project, { limit: query.limit, continue: query.continue, labels });
      const items = named ? page.items.filter((o) => o.metadata.name === named) : page.items;
      return c.json(listResponse(kind, { ...page, items: await shown(c, items) }));
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'get', path: `${base}/{name}`, access: { kind: 'project', verb: 'get', resource }, summary: `Read a ${kind}`, tag, params: ProjectNameParam, response: out },
    async (c, { params }) => c.json(withApiVersion((await shown(c, [await getOr404(deps.store, ref(params.project, params.name))]))[0]!)),
  );

  if (def.writable) {
    // A kind that gives annotations a meaning checks them (Route: values HAProxy would refuse get 422).
    const createMeta = def.annotations ? CreateMeta.extend({ annotations: def.annotations.optional() }) : CreateMeta;
    const updateMeta = def.annotations ? UpdateMeta.extend({ annotations: def.annotations.optional() }) : UpdateMeta;
    // Secrets and ConfigMaps also take Kubernetes' top-level `data`, `type`… (moved into spec).
    const topLevel = Object.fromEntries((TOP_LEVEL_FIELDS[kind] ?? []).map((f) => [f, z.unknown().optional()]));
    const createBody = lazySchema(() => z.strictObject({ apiVersion: apiVersionField(kind), kind: z.literal(kind).optional(), metadata: createMeta, spec: specOrEmpty(def.spec), status: z.unknown().optional(), ...topLevel }));
    const replaceBody = lazySchema(() => z.strictObject({ apiVersion: apiVersionField(kind), kind: z.literal(kind).optional(), metadata: updateMeta, spec: specOrEmpty(def.spec), status: z.unknown().optional(), ...topLevel }));
    const specOf = (body: Record<string, unknown> & { spec: unknown }) => prepareSpec(kind, specOfBody(kind, def.spec, body));

    defineRoute(
      app,
      deps,
      { method: 'post', path: base, access: { kind: 'project', verb: 'create', resource }, summary: `Create a ${kind}`, tag, params: ProjectParam, query: WriteQuery, body: createBody, response: out, status: 201 },
      async (c, { params, query, body }) => {
        checkProject(body.metadata.project, params.project);
        const given = specOf(body);
        checkHost(params.project, given);
        if (kind === 'Service') services.admit(given as ServiceSpec);
        const { labels, annotations } = await guardMetadata(deps, c.get('user'), undefined, body.metadata);
        await admitSpec(deps, kind, params.project, given);
        if (query.dryRun) {
          if (await deps.store.get(ref(params.project, body.metadata.name))) throw new AlreadyExistsError(kind, body.metadata.name);
          return c.json(withApiVersion(dryRunObject(kind, params.project, body.metadata.name, { labels, annotations }, given), body.apiVersion), 201);
        }
        const object = { kind, metadata: { name: body.metadata.name, project: params.project, labels, annotations }, spec: codec ? await codec.seal(given) : given };
        // A Service gets its cluster IP in the same write, where Services have one (services/cluster-ips.ts).
        const created = kind === 'Service' ? await services.create(object) : await deps.store.create(object);
        return c.json(withApiVersion(await open(created), body.apiVersion), 201);
      },
    );

    defineRoute(
      app,
      deps,
      { method: 'put', path: `${base}/{name}`, access: { kind: 'project', verb: 'update', resource }, summary: `Replace a ${kind}'s spec and metadata`, tag, params: ProjectNameParam, query: WriteQuery, body: replaceBody, response: out },
      async (c, { params, query, body }) => {
        checkProject(body.metadata.project, params.project);
        let given = specOf(body);
        checkHost(params.project, given);
        const target = ref(params.project, params.name);
        const stored = await getOr404(deps.store, target);
        // What may not be written at all is refused before what the spec asks for is judged.
        await guardMetadata(deps, c.get('user'), stored.metadata, body.metadata);
        if (kind === CLAIM_KIND) admitClaimUpdate(stored.spec as PersistentVolumeClaimSpec, given as PersistentVolumeClaimSpec);
        if (kind === 'Service') given = services.replace(stored.spec as ServiceSpec, given as ServiceSpec);
        await admitSpec(deps, kind, params.project, given);
        if (query.dryRun) {
          if (body.metadata.name !== params.name) throw ValidationError.field('metadata.name', `must be "${params.name}", the name in the path`);
          return c.json(withApiVersion({ ...stored, spec: given }, body.apiVersion));
        }
        const spec = codec ? await codec.seal(given, stored.spec) : given;
        const annotate = kind === 'Route' ? (stored: BerthObject, next: { spec: unknown; annotations: Record<string, string> }) => withHostClaim(stored as never, next, new Date()) : undefined;
        const { metadata, apiVersion } = body;
        return c.json(withApiVersion(await open(await replaceFromBody(deps, c.get('user'), target, { metadata, spec }, { stored, annotate })), apiVersion));
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

  const statusBody = lazySchema(() => z.strictObject({ apiVersion: apiVersionField(kind), metadata: z.object({ resourceVersion: z.string().min(1) }).passthrough(), status: def.status, kind: z.string().optional(), spec: z.unknown().optional() }));
  defineRoute(
    app,
    deps,
    { method: 'put', path: `${base}/{name}/status`, access: { kind: 'project', verb: 'updateStatus', resource }, summary: `Write a ${kind}'s status (controllers)`, tag, params: ProjectNameParam, body: statusBody, response: out },
    async (c, { params, body }) => {
      const target = { kind, metadata: { ...ref(params.project, params.name), resourceVersion: body.metadata.resourceVersion }, status: body.status };
      return c.json(withApiVersion(await open(await deps.store.updateStatus(target as unknown as BerthObject)), body.apiVersion));
    },
  );
}

function checkProject(given: string | undefined, path: string): void {
  if (given !== undefined && given !== path) throw ValidationError.field('metadata.project', `must be "${path}", the project in the path`);
}
