// The platform registry's side of the API: Docker's token endpoint (`docker login` with any
// username and a Berth token as the password, or a bearer token), the registry's push
// notifications, and what `berth registry login` needs to know.
import { timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import * as z from 'zod';
import { BadRequestError, ForbiddenError, UnauthorizedError, ValidationError } from '../../errors.ts';
import { authorizeProject, bearerToken } from '../access.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';
import { grantAccess, parseScope, type Requester } from '../../registry/scopes.ts';
import { recordPushes, registryEnvelope } from '../../registry/events.ts';
import { PLATFORM_REGISTRY_USER, type RegistryDeps } from '../../registry/types.ts';
import type { RegistryAccess } from '../../registry/token.ts';

const TokenQuery = z.object({ service: z.string().max(200).optional(), scope: z.union([z.string().max(2000), z.array(z.string().max(2000)).max(50)]).optional(), account: z.string().max(200).optional(), client_id: z.string().max(200).optional(), offline_token: z.string().max(10).optional() });

const TokenOut = lazySchema(() => z.object({ token: z.string(), access_token: z.string(), expires_in: z.number(), issued_at: z.string() }));

export function registerRegistryRoutes(app: Hono<ApiEnv>, deps: ApiDeps, registry: RegistryDeps): void {
  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: '/api/v1/registry/token',
      // Docker sends its own credentials here (Basic with a Berth token as password, or Bearer).
      access: { kind: 'public' },
      summary: "Docker's registry token endpoint: a token for the scopes the caller may have (pull: view, push: edit)",
      tag: 'Registry',
      query: TokenQuery,
      response: TokenOut,
    },
    async (c, { query }) => {
      if (query.service !== undefined && query.service !== registry.tokens.service) {
        throw ValidationError.field('service', `this endpoint issues tokens for "${registry.tokens.service}" only`);
      }
      const who = await requester(c, deps, registry);
      const requested = (c.req.queries('scope') ?? []).flatMap((s) => s.split(' ')).filter(Boolean).map((s) => {
        const parsed = parseScope(s);
        if (!parsed) throw ValidationError.field('scope', `"${s.slice(0, 100)}" is not TYPE:NAME:ACTIONS (e.g. repository:demo/web:pull,push)`);
        return parsed;
      });
      const access = await grantAccess(requested, who, (project, verb) => mayInProject(deps, who, project, verb));
      const subject = who.kind === 'platform' ? PLATFORM_REGISTRY_USER : who.name;
      const signed = await registry.tokens.sign(subject, access);
      deps.logger?.debug({ subject, requested: requested.map(scopeText), granted: access.map(scopeText) }, 'registry token');
      return c.json({ token: signed.token, access_token: signed.token, expires_in: signed.expiresIn, issued_at: signed.issuedAt });
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/registry/events',
      // The registry's notifications carry the shared secret as a bearer token.
      access: { kind: 'public' },
      summary: 'Push notifications from the platform registry: each tagged manifest push moves its image stream tag',
      tag: 'Registry',
      media: 'own',
      status: 202,
    },
    async (c) => {
      const secret = bearerToken(c.req.header('Authorization'));
      if (!registry.eventsSecret || !secret || !same(secret, registry.eventsSecret)) throw new UnauthorizedError('registry notifications need the platform registry\'s secret');
      const parsed = registryEnvelope.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) throw new BadRequestError('InvalidEnvelope', 'the body is not a registry event envelope ({"events": [...]})');
      const moved = await recordPushes(deps.store, registry.host, parsed.data);
      if (moved.length) deps.logger?.info({ moved }, 'pushed images recorded');
      return c.json({ recorded: moved.length }, 202);
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: '/api/v1/registry',
      access: { kind: 'authenticated' },
      summary: "The platform registry's address, for `docker login` and `docker push <registry>/<project>/<name>:<tag>`",
      tag: 'Registry',
      response: lazySchema(() => z.object({ host: z.string(), service: z.string() })),
    },
    async (c) => c.json({ host: registry.host, service: registry.tokens.service }),
  );
}

/** The platform (by its password) or the holder of a Berth token; 401 otherwise, as Docker expects. */
async function requester(c: Context<ApiEnv>, deps: ApiDeps, registry: RegistryDeps): Promise<Requester> {
  const header = c.req.header('Authorization') ?? '';
  let token = bearerToken(header);
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [username, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    if (username === PLATFORM_REGISTRY_USER) {
      if (registry.platformPassword && same(password, registry.platformPassword)) return { kind: 'platform' };
      throw new UnauthorizedError(`the password of ${PLATFORM_REGISTRY_USER} is wrong`);
    }
    token = password;
  }
  if (!token) {
    c.header('WWW-Authenticate', 'Basic realm="berth"');
    throw new UnauthorizedError('registry tokens need credentials: `docker login` with any username and a Berth token as the password');
  }
  const { user } = await deps.identity.holderOf(token);
  return { kind: 'user', name: user, clusterAdmin: await deps.identity.isClusterAdmin(user) };
}

async function mayInProject(deps: ApiDeps, who: Requester, project: string, verb: 'get' | 'create'): Promise<boolean> {
  if (who.kind === 'platform') return true;
  try {
    await authorizeProject(deps, who.name, project, verb, 'app');
    return true;
  } catch (err) {
    if (err instanceof ForbiddenError) return false;
    throw err;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const scopeText = (a: RegistryAccess) => `${a.type}:${a.name}:${a.actions.join(',')}`;
