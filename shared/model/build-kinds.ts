// The kinds of the build capability, after OpenShift's build.openshift.io and
// image.openshift.io: BuildConfig (how to build), Build (one run), ImageStream (image history).
import * as z from 'zod';
import { BUILD_PHASES } from './build-phases.ts';
import { REDACTED_SECRET } from './redacted-secret.ts';

export const envVar = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and "_", not starting with a digit'),
  value: z.string().max(32 * 1024).default(''),
});
export type EnvVar = z.infer<typeof envVar>;

/** An image to build from: an ImageStreamTag in the project (`python:3.11`) or a plain image reference. */
export const imageRef = z.strictObject({
  kind: z.enum(['ImageStreamTag', 'DockerImage']),
  name: z.string().min(1).max(512),
  /** An ImageStreamTag's project, when not the object's own (only the shared `openshift` project; see images/namespace.ts). */
  namespace: z.string().max(63).optional(),
});
export type ImageRef = z.infer<typeof imageRef>;

/**
 * The image a build builds from: an ImageRef whose ImageStreamTag may be in another namespace —
 * the project itself or the shared project `openshift` (admission refuses any other).
 */
export const builderImageRef = z
  .strictObject({ ...imageRef.shape, namespace: z.string().min(1).max(63).optional() })
  .refine((r) => r.namespace === undefined || r.kind === 'ImageStreamTag', { message: 'namespace is for an ImageStreamTag', path: ['namespace'] });
export type BuilderImageRef = z.infer<typeof builderImageRef>;

const relativePath = z
  .string()
  .max(1024)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path without ".."');

export const buildSource = z
  .strictObject({
    git: z.strictObject({ uri: z.string().min(1).max(2048), ref: z.string().max(256).optional() }).optional(),
    /** Source is uploaded with each build (`start-build --from-dir`). */
    binary: z.strictObject({}).optional(),
    contextDir: relativePath.optional(),
  })
  .refine((s) => !!s.git !== !!s.binary, 'give exactly one of git or binary');

export const sourceStrategy = z.strictObject({
  from: builderImageRef,
  env: z.array(envVar).max(200).default([]),
  incremental: z.boolean().default(false),
  /** Where to take the S2I scripts from instead of the builder image (image:///path or a path in the source). */
  scripts: z.string().max(2048).optional(),
});

export const dockerStrategy = z.strictObject({
  from: builderImageRef.optional(),
  dockerfilePath: relativePath.default('Dockerfile'),
  buildArgs: z.array(envVar).max(200).default([]),
  noCache: z.boolean().default(false),
  env: z.array(envVar).max(200).default([]),
});

export const buildStrategy = z
  .strictObject({
    type: z.enum(['Source', 'Docker']),
    sourceStrategy: sourceStrategy.optional(),
    dockerStrategy: dockerStrategy.optional(),
  })
  .refine((s) => (s.type === 'Source' ? !!s.sourceStrategy : !!s.dockerStrategy), 'the strategy named by type must be given');

export { REDACTED_SECRET };

const secretText = z
  .string()
  .min(8, 'webhook secrets are at least 8 characters')
  .max(256)
  .refine((s) => s !== REDACTED_SECRET, 'this is the placeholder shown for a hidden secret: send the secret itself');

export const buildTrigger = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('GitHub'), github: z.strictObject({ secret: secretText }) }),
  z.strictObject({ type: z.literal('GitLab'), gitlab: z.strictObject({ secret: secretText }) }),
  z.strictObject({ type: z.literal('Generic'), generic: z.strictObject({ secret: secretText, allowEnv: z.boolean().default(false) }) }),
  z.strictObject({ type: z.literal('ImageChange'), imageChange: z.strictObject({ from: builderImageRef.optional() }).default({}) }),
  z.strictObject({ type: z.literal('ConfigChange') }),
]);
export type BuildTrigger = z.infer<typeof buildTrigger>;

export const imageStreamTagName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'use <imagestream>:<tag>');

export const buildOutput = z.strictObject({
  to: z.strictObject({ kind: z.literal('ImageStreamTag'), name: imageStreamTagName }),
});

export const buildConfigSpec = z.strictObject({
  source: buildSource,
  strategy: buildStrategy,
  output: buildOutput,
  triggers: z.array(buildTrigger).max(20).default([]),
  runPolicy: z.enum(['Serial', 'Parallel', 'SerialLatestOnly']).default('Serial'),
  successfulBuildsHistoryLimit: z.number().int().min(0).max(1000).default(5),
  failedBuildsHistoryLimit: z.number().int().min(0).max(1000).default(5),
  completionDeadlineSeconds: z.number().int().min(1).max(24 * 3600).optional(),
});
export type BuildConfigSpec = z.infer<typeof buildConfigSpec>;

export const buildConfigStatus = z
  .object({
    lastVersion: z.number().int().default(0),
    /** Per ImageChange trigger source (`python:3.11`), the image that last started a build. */
    lastTriggeredImages: z.record(z.string(), z.string()),
  })
  .partial();
export type BuildConfigStatus = z.infer<typeof buildConfigStatus>;

export const buildPhase = z.enum(BUILD_PHASES);
export { TERMINAL_PHASES, type BuildPhase } from './build-phases.ts';

export const buildSpec = z.strictObject({
  source: buildSource,
  strategy: buildStrategy,
  output: buildOutput,
  completionDeadlineSeconds: z.number().int().min(1).max(24 * 3600).optional(),
  /** Why this build started ("Manually triggered", "GitHub push 3f2a…"). */
  triggeredBy: z.array(z.strictObject({ message: z.string() })).default([]),
  /** The commit to build, when a webhook named one. */
  revision: z.strictObject({ commit: z.string().optional(), message: z.string().optional(), author: z.string().optional() }).optional(),
  /** Extra environment for this build only (start-build --env, generic webhooks with allowEnv). */
  env: z.array(envVar).max(200).default([]),
  /** Set by a user to cancel the build. */
  cancelled: z.boolean().default(false),
});
export type BuildSpec = z.infer<typeof buildSpec>;

export const buildStatus = z
  .object({
    phase: buildPhase,
    reason: z.string(),
    message: z.string(),
    startTimestamp: z.string(),
    completionTimestamp: z.string(),
    /** Milliseconds. */
    duration: z.number(),
    outputDockerImageReference: z.string(),
    output: z.object({ to: z.object({ imageDigest: z.string() }) }),
    revision: z.object({ commit: z.string() }),
    /** The last lines of the log, kept when a build fails. */
    logSnippet: z.string(),
    /** Where the builder runs (a local process id, an ECS task ARN). */
    agent: z.string(),
    /** The launch this build belongs to; an agent works only on a build whose attempt is its own. */
    attempt: z.string(),
  })
  .partial();
export type BuildStatus = z.infer<typeof buildStatus>;

export const imageStreamSpec = z.strictObject({
  tags: z
    .array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/), from: imageRef.optional() }))
    .max(100)
    .default([]),
});

export const tagEvent = z.object({
  created: z.string(),
  /** registry/project/stream@sha256:… */
  dockerImageReference: z.string(),
  /** sha256:… */
  image: z.string(),
  generation: z.number().int().optional(),
});
export type TagEvent = z.infer<typeof tagEvent>;

/** One `import-image` run as a task (on AWS), by the tag it moves: its outcome once the task stops. */
export const imageImport = z.object({
  tag: z.string(),
  from: z.string(),
  phase: z.enum(['Pending', 'Complete', 'Failed']),
  /** The task copying the image (an ECS task ARN). */
  task: z.string().optional(),
  startedAt: z.string(),
  completedAt: z.string().optional(),
  image: z.string().optional(),
  dockerImageReference: z.string().optional(),
  exposedPorts: z.array(z.number()).optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  suggestion: z.string().optional(),
});
export type ImageImport = z.infer<typeof imageImport>;

export const imageStreamStatus = z
  .object({
    dockerImageRepository: z.string(),
    /** Per tag, its history newest first. */
    tags: z.array(z.object({ tag: z.string(), items: z.array(tagEvent) })),
    /** Imports run as tasks (AWS): the latest per tag, what the CLI waits on. */
    imports: z.array(imageImport),
  })
  .partial();
export type ImageStreamStatus = z.infer<typeof imageStreamStatus>;
