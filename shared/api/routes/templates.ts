// Templates and Lists: processing a template into the List of its objects (OpenShift's
// processedtemplates, which stores nothing), and making or applying the objects of a List, each
// through its own kind's route (templates/apply-list.ts).
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';
import { apiVersionField, ProjectParam } from '../schemas.ts';
import { processTemplate } from '../../templates/process.ts';
import { templateSpec } from '../../templates/types.ts';
import { applyList, type Send } from '../../templates/apply-list.ts';
import { fromZod } from '../errors.ts';

const parameterValues = z.record(z.string().max(253), z.string().max(64 * 1024));

/** A Template as a manifest gives it (fields at the top level, or under spec), and the values to give its parameters. */
const processBody = lazySchema(() =>
  z.strictObject({
    apiVersion: apiVersionField('Template'),
    kind: z.literal('Template').optional(),
    metadata: z.looseObject({}).optional(),
    spec: z.unknown().optional(),
    parameters: z.unknown().optional(),
    objects: z.unknown().optional(),
    labels: z.unknown().optional(),
    message: z.unknown().optional(),
    /** Values for the parameters, by name (`-p NAME=VALUE`); an unknown name is refused. */
    parameterValues: parameterValues.default({}),
  }),
);

const listBody = lazySchema(() =>
  z.strictObject({
    apiVersion: z.literal('v1', 'a List is apiVersion v1').optional(),
    kind: z.literal('List', 'send a List; a single object goes to its kind\'s own route').optional(),
    metadata: z.looseObject({}).optional(),
    items: z.array(z.record(z.string(), z.unknown())).max(500),
  }),
);
const ListQuery = z.strictObject({ mode: z.enum(['create', 'apply']).default('create') });

export function registerTemplateRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/projects/{project}/processedtemplates',
      // As OpenShift: processing is creating processedtemplates, which edit may and view may not.
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: 'Process a Template: its parameters given, defaulted or generated and substituted into its objects; answers the List (nothing is stored)',
      tag: 'Template',
      params: ProjectParam,
      body: processBody,
    },
    async (c, { body }) => {
      const { parameterValues: given, apiVersion: _v, kind: _k, metadata: _m, spec, ...top } = body;
      const fields = Object.fromEntries(Object.entries(top).filter(([, v]) => v !== undefined));
      const parsed = templateSpec.safeParse({ ...(spec as object | undefined), ...fields });
      if (!parsed.success) throw fromZod(parsed.error, 'json');
      const out = processTemplate(parsed.data, given);
      return c.json({ apiVersion: 'v1', kind: 'List', metadata: {}, items: out.items, parameters: out.parameters, ...(out.message === undefined ? {} : { message: out.message }) });
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/projects/{project}/lists',
      // Each item is also authorised by its own kind's route (a RoleBinding needs admin, a quota a cluster admin).
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: 'Make the objects of a List (mode=apply: make or update each by name); every item is checked first, and nothing is left half made',
      tag: 'Template',
      params: ProjectParam,
      query: ListQuery,
      body: listBody,
      status: 201,
    },
    async (c, { params, query, body }) => {
      const authorization = c.req.header('Authorization') ?? '';
      const send: Send = async (method, path, payload) => {
        const headers: Record<string, string> = { Authorization: authorization };
        if (payload !== undefined) headers['Content-Type'] = 'application/json';
        const res = await app.request(path, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
        const text = await res.text();
        try {
          return { status: res.status, body: text ? JSON.parse(text) : undefined };
        } catch {
          return { status: res.status, body: { message: text.slice(0, 500) } };
        }
      };
      const { items, actions } = await applyList(send, body.items, params.project, query.mode === 'apply');
      return c.json({ apiVersion: 'v1', kind: 'List', metadata: {}, items, actions }, 201);
    },
  );
}
