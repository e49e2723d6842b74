// The import task's program (`main.mjs import` in the builder agent's image, task definition
// berth-import on AWS): copies IMPORT_FROM into IMPORT_TARGET (`<ecr host>/<repository>:<tag>`)
// and exits. Its only rights are the AWS credentials in its environment, a push role session
// narrowed to that one repository; with them it asks ECR for a login (GetAuthorizationToken:
// "AWS:<password>", ECR API Reference) and copies through the registry HTTP API, no Docker Engine.
// The exit code is its answer (shared/registry/import-outcome.ts): the API reads it from ECS.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { checkSource, copyImage, importSource } from '../../shared/registry/import.ts';
import { RegistryHttp, type BasicCredentials } from '../../shared/registry/http.ts';
import { DEFAULT_IMPORT_MAX_BYTES, failureKindOf, IMPORT_EXIT_CODES, importFailure } from '../../shared/registry/import-outcome.ts';
import { PUBLIC_SOURCES, type SourcePolicy } from '../../shared/registry/source-policy.ts';

export interface ImportJob {
  from: string;
  /** `<host>/<repository>:<tag>`. */
  target: string;
  maxBytes: number;
  /** The target registry's scheme: https (ECR) unless told. */
  scheme?: 'http' | 'https';
  /**
   * What the source may be (public addresses only, unless given): checked again where the task
   * runs, as the API did (a name that resolved to a public address for the API may resolve
   * otherwise now), and at every connection of the copy.
   */
  policy?: SourcePolicy;
}

/** The job an import task's environment names; throws naming the variable at fault. */
export function importJobFrom(env: NodeJS.ProcessEnv): ImportJob {
  const from = env.IMPORT_FROM;
  const target = env.IMPORT_TARGET;
  if (!from) throw new Error('IMPORT_FROM is not set: the image to import');
  if (!target || !/^[^/]+\/.+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(target)) throw new Error('IMPORT_TARGET is not <registry>/<repository>:<tag>');
  const maxBytes = env.IMPORT_MAX_BYTES ? Number(env.IMPORT_MAX_BYTES) : DEFAULT_IMPORT_MAX_BYTES;
  if (!Number.isFinite(maxBytes) || maxBytes <= 0) throw new Error('IMPORT_MAX_BYTES is not a positive number of bytes');
  return { from, target, maxBytes, scheme: env.IMPORT_TARGET_SCHEME === 'http' ? 'http' : 'https' };
}

/** Copies the job's image with `credentials` for the target; returns the exit code of the outcome (0: copied). */
export async function runImport(job: ImportJob, credentials: BasicCredentials | undefined, log: (line: string) => void = console.log): Promise<number> {
  const slash = job.target.indexOf('/');
  const colon = job.target.lastIndexOf(':');
  const host = job.target.slice(0, slash);
  const repository = job.target.slice(slash + 1, colon);
  const tag = job.target.slice(colon + 1);
  try {
    const source = importSource(job.from);
    const policy = job.policy ?? PUBLIC_SOURCES;
    await checkSource(source, host, policy).catch((err: Error) => { throw importFailure(err, 'SourceRefused'); });
    const image = await copyImage(source, {
      host, http: new RegistryHttp(credentials), scheme: job.scheme, repository, tag, maxBytes: job.maxBytes,
      project: repository.split('/').at(-2) ?? '', stream: repository.split('/').at(-1) ?? '',
    }, policy);
    log(`imported ${job.from} as ${image.reference}${image.exposedPorts.length ? ` (exposes ${image.exposedPorts.join(', ')})` : ''}`);
    return 0;
  } catch (err) {
    const kind = failureKindOf(err);
    log(`import of ${job.from} failed (${kind}): ${(err as Error).message}`);
    return IMPORT_EXIT_CODES[kind];
  }
}

/** ECR's Docker login for the task's session: user AWS and a password, from GetAuthorizationToken. */
export async function ecrLogin(ecr: Pick<ECRClient, 'send'>): Promise<BasicCredentials> {
  const out = await ecr.send(new GetAuthorizationTokenCommand({}));
  const decoded = Buffer.from(out.authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw importFailure(new Error('ECR answered GetAuthorizationToken without a login'), 'TargetRefused');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The task's main: the job from the environment, ECR's login, the copy; the exit code. */
export async function importMain(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const job = importJobFrom(env);
  const timeoutSeconds = Number(env.IMPORT_TIMEOUT_SECONDS ?? 3000);
  const timer = setTimeout(() => {
    console.error(`import of ${job.from} ran past ${timeoutSeconds} s`);
    process.exit(IMPORT_EXIT_CODES.TimedOut);
  }, timeoutSeconds * 1000);
  timer.unref();
  let credentials: BasicCredentials;
  try {
    credentials = await ecrLogin(new ECRClient({ region: env.AWS_REGION }));
  } catch (err) {
    console.error(`import: no login to the platform registry: ${(err as Error).message}`);
    return IMPORT_EXIT_CODES.TargetRefused;
  }
  return runImport(job, credentials);
}
