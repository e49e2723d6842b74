// `berth import-image NAME[:TAG] --from REF [--confirm]` and `new-app --image REF`: an image from
// another registry copied into the project's repository of the platform registry, its image
// stream tag moved to it (ImageChange triggers follow), and the ports it EXPOSEs reported.
// On AWS (no platform registry of its own, ECR behind push logins) the route checks the request
// as everywhere and answers 501 with the way that works there: pull, log in, push (docs/aws.md,
// "Images from outside: pushes to ECR"). The API function answers within API Gateway's 30 s and
// Lambda's response limits, too short to copy an image of hundreds of megabytes layer by layer.
import type { Hono } from 'hono';
import * as z from 'zod';
import { BerthError } from '../../errors.ts';
import { recordImage } from '../../builds/agent.ts';
import { RegistryHttp } from '../../registry/http.ts';
import { checkSource, copyImage, importSource } from '../../registry/import.ts';
import { PLATFORM_REGISTRY_USER, type RegistryDeps } from '../../registry/types.ts';
import { tenantNamespace } from '../../builds/tenant-namespace.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute, lazySchema } from '../route.ts';
import { ProjectParam } from '../schemas.ts';

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

/** `registry` is the platform's own (npm run up); without it (AWS) imports are answered 501 with a hint naming `pushHost`. */
export function registerImageImportRoutes(app: Hono<ApiEnv>, deps: ApiDeps, registry: RegistryDeps | { pushHost: string }): void {
  // The platform's own login writes the project's repository, once the caller's edit role is checked.
  let platform: RegistryHttp | undefined;
  defineRoute(
    app,
    deps,
    {
      method: 'post',
      path: '/api/v1/projects/{project}/imagestreamimports',
      access: { kind: 'project', verb: 'create', resource: 'app' },
      summary: "Copies an image from another registry into the project's image stream tag",
      tag: 'Images',
      params: ProjectParam,
      body: ImportBody,
      response: ImportOut,
      status: 201,
    },
    async (c, { params, body }) => {
      const project = tenantNamespace(params.project);
      const source = importSource(body.from);
      const stream = await deps.store.get({ kind: 'ImageStream', project, name: body.name });
      if (!stream && !body.confirm) {
        throw new BerthError(404, 'NotFound', `imagestream "${body.name}" not found in project "${project}"`, { suggestion: 'pass --confirm (confirm: true) to create it' });
      }
      if ('pushHost' in registry) {
        const target = `${registry.pushHost}/berth/${project}/${body.name}:${body.tag}`;
        throw new BerthError(501, 'NotImplemented', 'import-image is not available on this platform: its registry (ECR) takes pushes only', {
          suggestion: `docker pull ${body.from} && berth registry login -n ${project} && docker tag ${body.from} ${target} && docker push ${target} (the push moves the image stream tag)`,
        });
      }
      platform ??= new RegistryHttp(registry.platformPassword ? { username: PLATFORM_REGISTRY_USER, password: registry.platformPassword } : undefined);
      await checkSource(source, registry.host, registry.allowPrivateSources ?? false);
      const image = await copyImage(source, { host: registry.host, http: platform, project, stream: body.name, tag: body.tag });
      await recordImage(deps.store, project, body.name, body.tag, { created: new Date().toISOString(), dockerImageReference: image.reference, image: image.digest });
      return c.json({ kind: 'ImageStreamImport', metadata: { name: body.name, project }, status: { tag: body.tag, image: image.digest, dockerImageReference: image.reference, exposedPorts: image.exposedPorts } }, 201);
    },
  );
}
