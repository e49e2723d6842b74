// The API Lambda (API Gateway HTTP API, payload v2): the same Hono app `npm run up` serves.
// Requests wait for the first administrator to exist (made from the stack's secret on a fresh
// deployment) and for the shared project `openshift`; a failed attempt is retried by the next
// request.
import { handle } from 'hono/aws-lambda';
import { createApi } from '../../shared/api/app.ts';
import { ensureSharedProject } from '../../shared/project/openshift.ts';
import { bootstrapAdminFromSecret } from '../admin-bootstrap.ts';
import { wireBuilds } from '../wire-builds.ts';
import { podStreams } from '../wire-pod-streams.ts';
import { registryLogins } from '../wire-registry.ts';

const builds = wireBuilds();
const deps = { ...builds, ...podStreams(process.env, builds.store), ...registryLogins(process.env) };
const app = handle(createApi(deps));
let ready: Promise<unknown> | undefined;

export const handler: typeof app = async (event, context) => {
  ready ??= Promise.all([bootstrapAdminFromSecret(deps.identity, process.env), ensureSharedProject(deps.store)]).catch((err) => {
    ready = undefined;
    throw err;
  });
  await ready;
  return app(event, context);
};
