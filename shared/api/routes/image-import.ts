// `berth import-image NAME[:TAG] --from REF [--confirm]` and `new-app --image REF`: an image from
// another registry copied into the project's repository of the platform registry, its image
// stream tag moved to it (ImageChange triggers follow), and the ports it EXPOSEs reported.
// On the all-in-one platform the API copies the image within the request (201). On AWS the API
// answers within API Gateway's 30 s, too short to copy hundreds of megabytes: it checks the
// request and the source the same way, starts an import task (shared/aws/ecs-image-imports.ts)
// and answers 202 with the import Pending, recorded in the stream's `status.imports`;
// `GET …/imagestreamimports/NAME?tag=TAG` reads how the task ended (the CLI waits on it). The
// push moves the tag through the ECR push events as any push; the completion moves it too when
// that event is late. Without an import task (no task definition configured) the answer is 501
// with the pull, login and push that work there (docs/aws.md, "Images from outside").
import type { Hono } from 'hono';
import * as z from 'zod';
import { AlreadyExistsError, BerthError, ignoring } from '../../errors.ts';
import { recordImage } from '../../builds/agent.ts';
import { RegistryHttp } from '../../registry/http.ts';
import { checkSource, copyImage, importSource } from '../../registry/import.ts';
import type { ImageImportTasks } from '../../registry/import-tasks.ts';
import { outcomeOfExit } from '../../registry/import-outcome.ts';
import { sourcePolicyOf } from '../../registry/source-policy.ts';
import { imageImport, type ImageImport, type ImageStreamStatus } from '../../model/build-kinds.ts';
import type { BerthObject } from '../../model/types.ts';
import { patchStatus } from '../../store/patch.ts';
import { PLATFORM_REGISTRY_USER, type RegistryDeps } from '../../registry/types.ts';
import { tenantNamespace } from '../../builds/tenant-namespace.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';
import { ProjectNameParam, ProjectParam } from '../schemas.ts';

const ImportBody = lazySchema(() =>
  z.strictObject({
    name: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'lower-case letters, digits, ".", "_" and "-"').max(63),
    tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a tag: letters, digits, "_", "." and "-"').default('latest'),
    from: z.string().min(1).max(512),
    /** Makes the ImageStream when it does not exist (as `oc import-image --confirm`). */
    confirm: z.boolean().default(false),
  }),
);

const ImportOut = lazySchema(() =>
  z.object({
    kind: z.literal('ImageStreamImport'),
    metadata: z.object({ name: z.string(), project: z.string() }),
    status: z.object({ tag: z.string(), image: z.string(), dockerImageReference: z.string(), exposedPorts: z.array(z.number()) }),
  }),
);

/** An import run as a task: what POST answers (202) and GET reads. */
const TaskImportOut = lazySchema(() =>
  z.object({
    kind: z.literal('ImageStreamImport'),
    metadata: z.object({ name: z.string(), project: z.string() }),
    status: imageImport.omit({ task: true }),
  }),
);

/** What both platforms' POST share; the all-in-one answers 201 with the image, AWS 202 with the import started. */
const POST_IMPORT = {
  method: 'post',
  path: '/api/v1/projects/{project}/imagestreamimports',
  access: { kind: 'project', verb: 'create', resource: 'app' },
  tag: 'Images',
  params: ProjectParam,
  body: ImportBody,
} as const;

const TagQuery = z.object({ tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a tag: letters, digits, "_", "." and "-"').default('latest') });

/**
 * `registry` is the platform's own (npm run up); `tasks` runs imports as tasks (AWS); with only
 * `pushHost` (AWS without an import task) imports are answered 501 with a hint naming it.
 */
export function registerImageImportRoutes(app: Hono<ApiEnv>, deps: ApiDeps, registry: RegistryDeps | { pushHost: string } | { tasks: ImageImportTasks }): void {
  if ('tasks' in registry) {
    registerTaskImportRoutes(app, deps, registry.tasks);
    return;
  }
  // The platform's own login writes the project's repository, once the caller's edit role is checked.
  let platform: RegistryHttp | undefined;
  defineRoute(
    app,
    deps,
    { ...POST_IMPORT, summary: "Copies an image from another registry into the project's image stream tag", response: ImportOut, status: 201 },
    async (c, { params, body }) => {
      const { project, source } = await checkRequest(deps, params.project, body);
      if ('pushHost' in registry) {
        const target = `${registry.pushHost}/berth/${project}/${body.name}:${body.tag}`;
        throw new BerthError(501, 'NotImplemented', 'import-image is not available on this platform: its registry (ECR) takes pushes only', {
          suggestion: `docker pull ${body.from} && berth registry login -n ${project} && docker tag ${body.from} ${target} && docker push ${target} (the push moves the image stream tag)`,
        });
      }
      platform ??= new RegistryHttp(registry.platformPassword ? { username: PLATFORM_REGISTRY_USER, password: registry.platformPassword } : undefined);
      const policy = sourcePolicyOf(registry);
      await checkSource(source, registry.host, policy);
      const image = await copyImage(source, { host: registry.host, http: platform, project, stream: body.name, tag: body.tag }, policy);
      await recordImage(deps.store, project, body.name, body.tag, { created: new Date().toISOString(), dockerImageReference: image.reference, image: image.digest });
      return c.json({ kind: 'ImageStreamImport', metadata: { name: body.name, project }, status: { tag: body.tag, image: image.digest, dockerImageReference: image.reference, exposedPorts: image.exposedPorts } }, 201);
    },
  );
}

/** The request's checks, the same on every platform: 422 naming `from`, 404 for a missing stream without `confirm`. */
async function checkRequest(deps: ApiDeps, projectParam: string, body: { name: string; from: string; confirm: boolean }) {
  const project = tenantNamespace(projectParam);
  const source = importSource(body.from);
  const stream = await deps.store.get({ kind: 'ImageStream', project, name: body.name });
  if (!stream && !body.confirm) {
    throw new BerthError(404, 'NotFound', `imagestream "${body.name}" not found in project "${project}"`, { suggestion: 'pass --confirm (confirm: true) to create it' });
  }
  return { project, source, stream };
}

type ImageStream = BerthObject<unknown, ImageStreamStatus>;

function importOut(project: string, name: string, record: ImageImport) {
  const { task: _task, ...status } = record;
  return { kind: 'ImageStreamImport' as const, metadata: { name, project }, status };
}

function registerTaskImportRoutes(app: Hono<ApiEnv>, deps: ApiDeps, tasks: ImageImportTasks): void {
  defineRoute(
    app,
    deps,
    {
      ...POST_IMPORT,
      summary: "Starts copying an image from another registry into the project's image stream tag; GET …/imagestreamimports/NAME?tag=TAG follows it",
      response: TaskImportOut,
      status: 202,
    },
    async (c, { params, body }) => {
      const { project, source, stream } = await checkRequest(deps, params.project, body);
      // The source policy is the API's, before any task starts: the task copies what it is told.
      await checkSource(source, tasks.host, sourcePolicyOf(tasks));
      if (!stream) await deps.store.create({ kind: 'ImageStream', metadata: { name: body.name, project }, spec: { tags: [] } }).catch(ignoring(AlreadyExistsError));
      const task = await tasks.start({ project, stream: body.name, tag: body.tag, from: body.from });
      const record: ImageImport = { tag: body.tag, from: body.from, phase: 'Pending', task, startedAt: new Date().toISOString() };
      await patchStatus<ImageStream>(deps.store, { kind: 'ImageStream', project, name: body.name }, (is) => ({
        ...is.status,
        imports: [record, ...(is.status.imports ?? []).filter((i) => i.tag !== body.tag)],
      }));
      return c.json(importOut(project, body.name, record), 202);
    },
  );

  defineRoute(
    app,
    deps,
    {
      method: 'get',
      path: '/api/v1/projects/{project}/imagestreamimports/{name}',
      access: { kind: 'project', verb: 'get', resource: 'app' },
      summary: "Reads how the import of an image stream tag is going (Pending, Complete with the image and its ports, or Failed with the reason)",
      tag: 'Images',
      params: ProjectNameParam,
      query: TagQuery,
      response: TaskImportOut,
    },
    async (c, { params, query }) => {
      const project = tenantNamespace(params.project);
      const ref = { kind: 'ImageStream', project, name: params.name };
      const stream = await deps.store.get<ImageStream>(ref);
      const record = stream?.status.imports?.find((i) => i.tag === query.tag);
      if (!stream || !record) throw new BerthError(404, 'NotFound', `no import of ${params.name}:${query.tag} in project "${project}"`, { suggestion: 'start one with berth import-image NAME:TAG --from REF' });
      if (record.phase !== 'Pending' || !record.task) return c.json(importOut(project, params.name, record));
      const state = await tasks.state(record.task);
      if (!state.stopped) return c.json(importOut(project, params.name, record));
      let done: ImageImport;
      if (state.exitCode === 0) {
        const image = await tasks.result(project, params.name, query.tag);
        // The push event moves the tag as for any push; if it has not yet, the completion does,
        // unless the tag moved meanwhile.
        const head = stream.status.tags?.find((t) => t.tag === query.tag)?.items[0]?.image ?? null;
        if (head !== image.digest) await recordImage(deps.store, project, params.name, query.tag, { created: new Date().toISOString(), dockerImageReference: image.dockerImageReference, image: image.digest }, head);
        done = { ...record, phase: 'Complete', completedAt: new Date().toISOString(), image: image.digest, dockerImageReference: image.dockerImageReference, exposedPorts: image.exposedPorts };
      } else {
        done = { ...record, phase: 'Failed', completedAt: new Date().toISOString(), ...outcomeOfExit(record.from, state.exitCode, state.stoppedReason, tasks.maxBytes) };
      }
      // The record is replaced only while it is still this task's Pending one.
      const saved = await patchStatus<ImageStream>(deps.store, ref, (is) => {
        const i = (is.status.imports ?? []).findIndex((x) => x.tag === query.tag);
        const current = is.status.imports?.[i];
        if (!current || current.task !== record.task || current.phase !== 'Pending') return undefined;
        const imports = [...is.status.imports!];
        imports[i] = done;
        return { ...is.status, imports };
      });
      const now = saved?.status.imports?.find((x) => x.tag === query.tag) ?? done;
      return c.json(importOut(project, params.name, now));
    },
  );
}
