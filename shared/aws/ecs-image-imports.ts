// `berth import-image` on AWS: one ECS task of the import task definition (family berth-import:
// the builder agent's image, `main.mjs import`, on the build hosts' capacity provider, whose
// egress reaches outside registries) copies one image into one project's ECR repository.
// The task's own role holds nothing: it runs with a session of the registry push role narrowed
// by a session policy to `berth/<project>/<stream>` (importSessionPolicy), handed to it in its
// environment as a build's credentials are, so a tampered task can write no other repository.
// Its exit code is its answer (shared/registry/import-outcome.ts); the copied image is read back
// with the same narrowed session (BatchGetImage, GetDownloadUrlForLayer for its config).
// ECS API Reference, "RunTask" (request: cluster, taskDefinition, count,
// capacityProviderStrategy, startedBy, overrides.containerOverrides[].environment, tags;
// response: tasks[], failures[]{arn, reason, detail}) and "DescribeTasks" (tasks[].lastStatus,
// stoppedReason, containers[]{name, exitCode, reason}; failures[].reason "MISSING");
// STS API Reference, "AssumeRole"; ECR API Reference, "BatchGetImage" (images[]{imageId,
// imageManifest, imageManifestMediaType}) and "GetDownloadUrlForLayer" (downloadUrl).
import { BatchGetImageCommand, ECRClient, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { DescribeTasksCommand, RunTaskCommand, type ECSClient, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { BerthError } from '../errors.ts';
import { exposedPortsOf } from '../registry/import.ts';
import type { CopiedImage, ImageImportTasks, ImportTaskRequest, ImportTaskState } from '../registry/import-tasks.ts';
import { DEFAULT_IMPORT_MAX_BYTES } from '../registry/import-outcome.ts';
import { credentialsEnvironment, type BuildCredentials } from './build-credentials.ts';
import { importSessionPolicy, PUSH_SESSION_SECONDS } from './ecr-push-credentials.ts';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';

/** The task definition family; the API may RunTask this family only. */
export const IMPORT_FAMILY = 'berth-import';
export const IMPORT_CONTAINER = 'importer';
export const IMPORT_TAG = 'berth:import';
const MANIFEST_TYPES = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'];

export interface EcsImageImportOptions {
  ecs: Pick<ECSClient, 'send'>;
  sts: Pick<STSClient, 'send'>;
  /** An ECR client acting with the given (narrowed session) credentials. */
  ecrWith?: (credentials: AwsCredentialIdentity) => Pick<ECRClient, 'send'>;
  cluster: string;
  /** The import task definition: family (IMPORT_FAMILY), family:revision or ARN. */
  taskDefinition: string;
  /** The build hosts' capacity provider. */
  capacityProvider: string;
  /** The registry push role (infra/constructs/registry-push-role.ts). */
  roleArn: string;
  region: string;
  /** Berth's repository prefix (`berth`). */
  prefix: string;
  /** The registry host (`<account>.dkr.ecr.<region>.amazonaws.com`). */
  host: string;
  /** Makes a project's repository (tagged as Berth's) unless it exists: EcrRegistry.ensureRepository. */
  ensureRepository: (project: string, stream: string) => Promise<unknown>;
  maxBytes?: number;
  allowPrivateSources?: boolean;
  /** Reads the config blob from the URL ECR hands out (S3); `fetch` by default. */
  fetch?: typeof fetch;
}

/** `startedBy` of an import task: `import/<project>/<stream>`, in the characters ECS takes, at most 128. */
export function importStartedBy(project: string, stream: string): string {
  return `import/${project}/${stream}`.replace(/[^A-Za-z0-9_/-]/g, '-').slice(0, 128);
}

/** The RunTask input of one import (pure). */
export function importTaskInput(
  o: Pick<EcsImageImportOptions, 'cluster' | 'taskDefinition' | 'capacityProvider' | 'host' | 'prefix' | 'region'> & { maxBytes: number },
  req: ImportTaskRequest,
  credentials: BuildCredentials,
): RunTaskCommandInput {
  return {
    cluster: o.cluster,
    taskDefinition: o.taskDefinition,
    count: 1,
    capacityProviderStrategy: [{ capacityProvider: o.capacityProvider, weight: 1 }],
    startedBy: importStartedBy(req.project, req.stream),
    overrides: {
      containerOverrides: [{
        name: IMPORT_CONTAINER,
        environment: [
          { name: 'IMPORT_FROM', value: req.from },
          { name: 'IMPORT_TARGET', value: `${o.host}/${o.prefix}/${req.project}/${req.stream}:${req.tag}` },
          { name: 'IMPORT_MAX_BYTES', value: String(o.maxBytes) },
          { name: 'AWS_REGION', value: o.region },
          ...credentialsEnvironment(credentials),
        ],
      }],
    },
    tags: [
      { key: MANAGED_TAG, value: 'true' },
      { key: PROJECT_TAG, value: req.project },
      { key: IMPORT_TAG, value: `${req.stream}:${req.tag}` },
    ],
  };
}

export class EcsImageImports implements ImageImportTasks {
  readonly maxBytes: number;

  constructor(private readonly o: EcsImageImportOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_IMPORT_MAX_BYTES;
  }

  get host(): string {
    return this.o.host;
  }

  get allowPrivateSources(): boolean {
    return this.o.allowPrivateSources ?? false;
  }

  async start(req: ImportTaskRequest): Promise<string> {
    await this.o.ensureRepository(req.project, req.stream);
    const credentials = await this.session(req.project, req.stream);
    const out = await this.o.ecs.send(new RunTaskCommand(importTaskInput({ ...this.o, maxBytes: this.maxBytes }, req, credentials)));
    const arn = out.tasks?.[0]?.taskArn;
    if (!arn) {
      const why = (out.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(' ')).join('; ') || 'no reason given';
      throw new BerthError(503, 'ImportNotStarted', `the import of ${req.from} could not be started: ${why}`, { suggestion: 'run berth import-image again in a minute' });
    }
    return arn;
  }

  async state(task: string): Promise<ImportTaskState> {
    const out = await this.o.ecs.send(new DescribeTasksCommand({ cluster: this.o.cluster, tasks: [task] }));
    const t = out.tasks?.find((x) => x.taskArn === task);
    if (!t) {
      const failure = out.failures?.find((f) => f.reason !== 'MISSING');
      if (failure) throw new Error(`ECS DescribeTasks failed for ${task}: ${failure.reason} ${failure.detail ?? ''}`.trim());
      // ECS keeps stopped tasks for a while only: a task it no longer knows has stopped unseen.
      return { stopped: true, stoppedReason: 'ECS no longer knows the task' };
    }
    if (t.lastStatus !== 'STOPPED' && t.lastStatus !== 'DELETED') return { stopped: false };
    const container = t.containers?.find((c) => c.name === IMPORT_CONTAINER);
    return { stopped: true, exitCode: container?.exitCode, stoppedReason: [t.stoppedReason, container?.reason].filter(Boolean).join(': ') || undefined };
  }

  async result(project: string, stream: string, tag: string): Promise<CopiedImage> {
    const credentials = await this.session(project, stream);
    const ecr = (this.o.ecrWith ?? ((c) => new ECRClient({ region: this.o.region, credentials: c })))(credentials);
    const repositoryName = `${this.o.prefix}/${project}/${stream}`;
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: tag }], acceptedMediaTypes: MANIFEST_TYPES }));
    const image = got.images?.[0];
    const digest = image?.imageId?.imageDigest;
    if (!image?.imageManifest || !digest) throw new BerthError(502, 'ImportFailed', `the import task ended, but ${repositoryName}:${tag} holds no image`, { suggestion: 'run berth import-image again' });
    const config = (JSON.parse(image.imageManifest) as { config?: { digest?: string } }).config?.digest;
    let exposedPorts: number[] = [];
    if (config) {
      const url = (await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: config }))).downloadUrl;
      const res = url ? await (this.o.fetch ?? fetch)(url) : undefined;
      if (res?.ok) exposedPorts = exposedPortsOf((await res.json()) as Parameters<typeof exposedPortsOf>[0]);
      else await res?.body?.cancel();
    }
    return { digest, dockerImageReference: `${this.o.host}/${repositoryName}@${digest}`, exposedPorts };
  }

  private async session(project: string, stream: string): Promise<BuildCredentials> {
    const assumed = await this.o.sts.send(new AssumeRoleCommand({
      RoleArn: this.o.roleArn,
      RoleSessionName: `berth-import-${project}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64),
      DurationSeconds: PUSH_SESSION_SECONDS,
      Policy: JSON.stringify(importSessionPolicy(project, stream, this.o)),
    }));
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new BerthError(502, 'NoCredentials', 'STS answered AssumeRole without credentials', { suggestion: 'try again in a moment' });
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }
}
