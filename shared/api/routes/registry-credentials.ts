// Registry logins per project, where the platform registry has credentials of its own (ECR on
// AWS) and cannot take a Berth token: `POST /api/v1/projects/P/registrycredentials` (`edit`, all
// checks before any call to the cloud) answers a Docker login that reaches P's repositories only,
// for an hour, and records who took it in the audit log. `GET /api/v1/registry` says logins are
// had this way (`login: "project"`), for `berth registry login`.
import type { Hono } from 'hono';
import * as z from 'zod';
import { audit } from '../../audit/record.ts';
import type { BerthObject } from '../../model/types.ts';
import { dnsName } from '../../model/names.ts';
import type { PushCredentialIssuer } from '../../registry/push-credentials.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, documented, lazySchema, named } from '../route.ts';
import { ProjectParam } from '../schemas.ts';

const CredentialsBody = named(
  'RegistryCredentialsRequest',
  z.strictObject({
    imageStreams: documented(z.array(dnsName).max(20).optional(), { description: 'Image streams to push to that have no repository yet (one is made for each); those of the project have theirs' }),
  }),
);

/** A project's image streams, at most this many, get their repositories made with each login. */
const STREAMS_PER_LOGIN = 100;

export function registerRegistryCredentialRoutes(app: Hono<ApiEnv>, deps: ApiDeps, issuer: PushCredentialIssuer): void {
  if (!deps.registry) {
    defineRoute(
      app,
      deps,
      {
        method: 'get',
        path: '/api/v1/registry',
        access: { kind: 'authenticated' },
        summary: "The platform registry's address; `login: \"project\"` means a login is had per project from POST .../registrycredentials",
        tag: 'Registry',
        response: lazySchema(() => z.object({ host: z.string(), login: z.literal('project') })),
      },
      async (c) => c.json({ host: issuer.host, login: 'project' as const }),
    );
  }

  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/projects/{project}/registrycredentials',
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: "A Docker login to the platform registry reaching this project's repositories only, for an hour",
      tag: 'Registry',
      params: ProjectParam,
      body: CredentialsBody,
      status: 201,
    },
    async (c, { params, body }) => {
      const own = await deps.store.list<BerthObject>('ImageStream', params.project, { limit: STREAMS_PER_LOGIN });
      const streams = [...new Set([...own.items.map((s) => s.metadata.name), ...(body.imageStreams ?? [])])].sort();
      const user = c.get('user');
      const login = await issuer.issue(params.project, user, streams);
      await audit(deps.store, { type: 'RegistryLogin', user, project: params.project, message: `user "${user}" took a push login to ${login.repositoryPrefix}* until ${login.expiresAt}` });
      return c.json(login, 201);
    },
  );
}
