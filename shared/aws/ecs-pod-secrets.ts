// Secrets of pods on ECS hosts. A Secret's values never go into a task definition's
// `environment` (DescribeTaskDefinition would show them): the values a pod's revision uses are
// written to one Secrets Manager secret per Berth Secret, `berth/<project>/<secret>`, as a JSON
// object of key → value, and the container definition names them in `secrets`, each
// `valueFrom` pinned to the version written (`<arn>:<key>::<version-id>`), so that a later
// change never alters what a running revision's tasks get; ECS's agent fetches them at task
// start with the pod execution role. The version id is derived from the values (Secrets
// Manager's idempotent ClientRequestToken): the same values give the same version, and the same
// task definition.
// AWS: "Pass Secrets Manager secrets through Amazon ECS environment variables" (ECS Developer
// Guide) and the CreateSecret / PutSecretValue API references. A deleted project's secrets go with
// it (ListSecrets, DeleteSecret): the project finalizer calls removeProject.
import { createHash } from 'node:crypto';
import { CreateSecretCommand, DeleteSecretCommand, ListSecretsCommand, PutSecretValueCommand, ResourceExistsException, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';

/** What a container definition's `secrets` entry points at: a version of one key. */
export interface PinnedSecret {
  arn: string;
  versionId: string;
}

/** The Secrets Manager name of a project's Secret. */
export const secretsManagerName = (project: string, secret: string): string => `berth/${project}/${secret}`;

/** The version id (ClientRequestToken, 32–64 characters) of these values: the same values, the same version. */
export function versionOf(values: Record<string, string>): string {
  const canonical = JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));
  return createHash('sha256').update(canonical).digest('hex');
}

/** `valueFrom` of one key of a pinned version (ECS: `arn:…:secret:name:json-key:version-stage:version-id`). */
export const valueFromOf = (pinned: PinnedSecret, key: string): string => `${pinned.arn}:${key}::${pinned.versionId}`;

export interface EcsPodSecretsOptions {
  client: SecretsManagerClient;
  /** The KMS key the secrets are encrypted with (the platform's secrets key); AWS's default key otherwise. */
  kmsKeyId?: string;
}

export class EcsPodSecrets {
  constructor(private readonly opts: EcsPodSecretsOptions) {}

  /**
   * Writes `values` (key → plain value) as a version of the project's Secret and returns it:
   * CreateSecret the first time, PutSecretValue after (a version with the same values is
   * Secrets Manager's no-op).
   */
  async pin(project: string, secret: string, values: Record<string, string>): Promise<PinnedSecret> {
    const { client, kmsKeyId } = this.opts;
    const Name = secretsManagerName(project, secret);
    const SecretString = JSON.stringify(values);
    const ClientRequestToken = versionOf(values);
    try {
      const out = await client.send(
        new CreateSecretCommand({
          Name,
          SecretString,
          ClientRequestToken,
          ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
          Description: `Berth Secret ${secret} of project ${project}, as its pods use it`,
          Tags: [{ Key: MANAGED_TAG, Value: 'true' }, { Key: PROJECT_TAG, Value: project }],
        }),
      );
      return { arn: out.ARN!, versionId: out.VersionId ?? ClientRequestToken };
    } catch (err) {
      if (!(err instanceof ResourceExistsException)) throw err;
    }
    const out = await client.send(new PutSecretValueCommand({ SecretId: Name, SecretString, ClientRequestToken }));
    return { arn: out.ARN!, versionId: out.VersionId ?? ClientRequestToken };
  }

  /**
   * Deletes every secret of the project's pods, at once (no recovery window: the project is
   * gone). Only secrets under `berth/<project>/` that carry Berth's tags for that project: the
   * name filter of ListSecrets is a prefix match that ignores case.
   */
  async removeProject(project: string): Promise<number> {
    const { client } = this.opts;
    const prefix = secretsManagerName(project, '');
    let removed = 0;
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }, { Key: 'tag-key', Values: [PROJECT_TAG] }], NextToken }));
      for (const secret of page.SecretList ?? []) {
        const tags = new Map((secret.Tags ?? []).map((t) => [t.Key, t.Value]));
        if (!secret.Name?.startsWith(prefix) || tags.get(MANAGED_TAG) !== 'true' || tags.get(PROJECT_TAG) !== project) continue;
        await client.send(new DeleteSecretCommand({ SecretId: secret.ARN, ForceDeleteWithoutRecovery: true })).catch((err: unknown) => {
          if (!(err instanceof ResourceNotFoundException)) throw err;
        });
        removed++;
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return removed;
  }
}
