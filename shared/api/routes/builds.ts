// Build actions beyond plain objects: start a build (instantiate), start one from an uploaded
// source archive, cancel, and read or follow a build's log.
import { PUSH_HEADER } from '../../push/topics.ts';
import type { Hono } from 'hono';
import * as z from 'zod';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { streamText } from 'hono/streaming';
import { ValidationError } from '../../errors.ts';
import { envVar } from '../../model/build-kinds.ts';
import { cancelBuild } from '../../builds/cancel.ts';
import { SOURCE_ARCHIVE_ANNOTATION, instantiateBuild, type Build, type BuildConfig } from '../../builds/instantiate.ts';
import { admitBuildSpec } from '../../builds/admission.ts';
import { DENY_LOCAL } from '../../builds/git-source.ts';
import { isTerminal } from '../../builds/plan.ts';
import { MAX_ARCHIVE_BYTES, UploadTooLargeError } from '../../builds/upload-limit.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema, named } from '../route.ts';
import { ProjectNameParam } from '../schemas.ts';
import { getOr404 } from './common.ts';

const UPLOAD = /^\/api\/v1\/projects\/[^/]+\/buildconfigs\/[^/]+\/instantiatebinary$/;
export const isUploadPath = (path: string): boolean => UPLOAD.test(path);

const InstantiateBody = z.strictObject({ env: z.array(envVar).max(200).optional(), message: z.string().max(256).optional() });
const LogQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).optional(),
  follow: z.enum(['true', 'false']).optional(),
});
const BuilderImagesOut = lazySchema(() =>
  named('BuilderImages', z.object({ items: z.array(z.object({ name: z.string(), image: z.string(), description: z.string().optional(), imageStreamTag: z.object({ namespace: z.string(), name: z.string() }).optional() })) })),
);
/** `name`: what the user uploaded (a directory's or an archive's name), which labels the image's source. */
const BinaryQuery = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[^/\\\u0000-\u001f\u007f]+$/, 'a file or directory name: no "/", "\\" or control characters')
    .optional(),
});
const TAR_TYPES = /^application\/(x-tar|tar|gzip|x-gzip|octet-stream)$/i;

export function registerBuildRoutes(app: Hono<ApiEnv>, deps: ApiDeps, builds: NonNullable<ApiDeps['builds']>): void {
  const tag = 'Build';
  const bcPath = '/api/v1/projects/{project}/buildconfigs/{name}';
  const buildPath = '/api/v1/projects/{project}/builds/{name}';
  const maxBytes = builds.maxArchiveBytes ?? MAX_ARCHIVE_BYTES;

  defineRoute(
    app,
    deps,
    { method: 'get', path: '/api/v1/builderimages', access: { kind: 'authenticated' }, summary: 'The builder images new-app can use (python, …)', tag, response: BuilderImagesOut },
    async (c) => c.json({ items: deps.builderImages ?? [] }),
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${bcPath}/instantiate`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: 'Start a build of a BuildConfig', tag, params: ProjectNameParam, body: InstantiateBody, status: 201 },
    async (c, { params, body }) => {
      const bc = await getOr404<BuildConfig>(deps.store, { kind: 'BuildConfig', project: params.project, name: params.name });
      if (bc.spec.source.binary) throw ValidationError.field('source.binary', 'this BuildConfig builds uploaded source; use instantiatebinary (`berth start-build --from-dir`)');
      await admitBuildSpec(deps.store, params.project, bc.spec, deps.buildPolicy ?? { git: DENY_LOCAL });
      const build = await instantiateBuild(deps.store, params.project, params.name, { message: body.message ?? `Manually triggered by ${c.get('user')}`, env: body.env });
      return c.json(build, 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${bcPath}/instantiatebinary`, access: { kind: 'project', verb: 'create', resource: 'app' }, summary: 'Start a build from an uploaded source archive (tar or tar.gz body)', tag, params: ProjectNameParam, query: BinaryQuery, status: 201, media: { accepted: TAR_TYPES, suggestion: 'send the source as a tar archive (Content-Type: application/x-tar or application/gzip)' } },
    async (c, { params, query }) => {
      const bc = await getOr404<BuildConfig>(deps.store, { kind: 'BuildConfig', project: params.project, name: params.name });
      if (!bc.spec.source.binary) throw ValidationError.field('source.binary', 'this BuildConfig builds from git; use instantiate');
      await admitBuildSpec(deps.store, params.project, bc.spec, deps.buildPolicy ?? { git: DENY_LOCAL });
      const declared = Number(c.req.header('content-length') ?? 0);
      if (declared > maxBytes) throw new UploadTooLargeError(maxBytes);
      const body = c.req.raw.body;
      if (!body) throw ValidationError.field('(body)', 'the source archive is missing');
      const archive = Readable.fromWeb(body as unknown as WebReadableStream);
      const build = await instantiateBuild(deps.store, params.project, params.name, {
        message: `Binary build triggered by ${c.get('user')}`,
        annotations: query.name ? { [SOURCE_ARCHIVE_ANNOTATION]: query.name } : undefined,
        beforeCreate: (name) => builds.sources.put({ kind: 'Build', project: params.project, name }, archive, maxBytes),
      });
      return c.json(build, 201);
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'post', path: `${buildPath}/cancel`, access: { kind: 'project', verb: 'update', resource: 'app' }, summary: 'Cancel a build', tag, params: ProjectNameParam },
    async (c, { params }) => {
      return c.json(await cancelBuild(deps.store, { kind: 'Build', project: params.project, name: params.name }));
    },
  );

  defineRoute(
    app,
    deps,
    { method: 'get', path: `${buildPath}/log`, access: { kind: 'project', verb: 'get', resource: 'app' }, summary: "Read a build's log from an offset; follow=true streams it until the build ends", tag, params: ProjectNameParam, query: LogQuery },
    async (c, { params, query }) => {
      const ref = { kind: 'Build', project: params.project, name: params.name };
      let build = await getOr404<Build>(deps.store, ref);
      let offset = query.offset ?? 0;
      if (deps.watchPush) c.header(PUSH_HEADER, deps.watchPush.url);
      if (query.follow !== 'true') {
        const { text, next, more } = await builds.logs.read(ref, offset);
        c.header('X-Log-Offset', String(next));
        // Whether there is more to read now: a client told of appends (a push connection) reads again only then.
        c.header('X-Log-More', String(more));
        c.header('X-Build-Phase', build.status.phase ?? 'New');
        return c.text(text);
      }
      const until = builds.followMs === undefined ? Infinity : Date.now() + builds.followMs;
      return streamText(c, async (out) => {
        for (;;) {
          const { text, next } = await builds.logs.read(ref, offset);
          offset = next;
          if (text) await out.write(text);
          if ((isTerminal(build) && !text) || Date.now() >= until) return;
          if (!text) await out.sleep(500);
          build = (await deps.store.get<Build>(ref)) ?? { ...build, status: { ...build.status, phase: 'Cancelled' } };
        }
      });
    },
  );
}
