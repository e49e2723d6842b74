// Pushes from outside on AWS (`berth registry login`): a Berth user with `edit` in a project gets
// short-lived ECR credentials that reach that project's repositories only. The API assumes the
// platform's push role (infra/constructs/registry-push-role.ts: pushes and pulls under berth/,
// never the platform's own repositories) with a session policy naming `berth/<project>/*`; a
// session policy only narrows the role (IAM User Guide, "Session policies"), so the login reaches
// one project whatever the role allows. Then ECR's GetAuthorizationToken with those credentials
// gives the Docker login (user AWS); ECR authorises each push with the session's permissions.
// The repositories of the project's image streams (and of any named) are made first, tagged as
// Berth's: a push never needs CreateRepository.
// STS API Reference, "AssumeRole" (RoleArn, RoleSessionName, DurationSeconds, Policy in;
// Credentials out); ECR API Reference, "GetAuthorizationToken" (authorizationData[]:
// authorizationToken = base64 "AWS:<password>", proxyEndpoint, expiresAt).
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { BerthError } from '../errors.ts';
import type { PushCredentialIssuer, PushLogin } from '../registry/push-credentials.ts';
import { accountOf, type PolicyDocument } from './project-roles.ts';

/** What a docker push does to a repository (ECR User Guide, "Pushing an image": the layer upload API and PutImage), and the pulls it makes of layers it mounts. */
export const ECR_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage',
  'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer',
];
/** A login lasts an hour: the session's own lifetime (STS AssumeRole DurationSeconds). */
export const PUSH_SESSION_SECONDS = 3600;

export interface PushSessionSettings {
  /** The push role: `arn:<partition>:iam::<account>:role/…`. */
  roleArn: string;
  region: string;
  /** Berth's repository prefix (`berth`). */
  prefix: string;
}

/**
 * The session policy of a project's push login: push and pull its own repositories
 * (`<prefix>/<project>/*`), and ask ECR for a login (GetAuthorizationToken has no resource-level
 * permission; the token carries the session's permissions and grants nothing by itself). Pure.
 */
export function pushSessionPolicy(project: string, s: PushSessionSettings): PolicyDocument {
  const { partition, account } = accountOf(s.roleArn);
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      { Sid: 'PushOwnProject', Effect: 'Allow', Action: ECR_PUSH_ACTIONS, Resource: [`arn:${partition}:ecr:${s.region}:${account}:repository/${s.prefix}/${project}/*`] },
    ],
  };
}

/** The session policy of an import task: the same as a push login's, narrowed to the one repository `<prefix>/<project>/<stream>`. Pure. */
export function importSessionPolicy(project: string, stream: string, s: PushSessionSettings): PolicyDocument {
  const { partition, account } = accountOf(s.roleArn);
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'RegistryLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      { Sid: 'PushOneRepository', Effect: 'Allow', Action: ECR_PUSH_ACTIONS, Resource: [`arn:${partition}:ecr:${s.region}:${account}:repository/${s.prefix}/${project}/${stream}`] },
    ],
  };
}

/** STS keeps session names to 2–64 characters of `[\w+=,.@-]`: the user's name, cleaned, with Berth's prefix. */
export function pushSessionName(user: string): string {
  return `berth-push-${user.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 64);
}

export interface EcrPushCredentialsOptions extends PushSessionSettings {
  sts: Pick<STSClient, 'send'>;
  /** The registry host (`<account>.dkr.ecr.<region>.amazonaws.com`). */
  host: string;
  /** An ECR client acting with the given (session) credentials. */
  ecrWith?: (credentials: AwsCredentialIdentity) => Pick<ECRClient, 'send'>;
  /** Makes a project's repository (tagged as Berth's) unless it exists: EcrRegistry.ensureRepository. */
  ensureRepository: (project: string, stream: string) => Promise<unknown>;
}

export class EcrPushCredentials implements PushCredentialIssuer {
  constructor(private readonly o: EcrPushCredentialsOptions) {}

  get host(): string {
    return this.o.host;
  }

  async issue(project: string, user: string, streams: readonly string[]): Promise<PushLogin> {
    for (const stream of streams) await this.o.ensureRepository(project, stream);
    const assumed = await this.o.sts.send(new AssumeRoleCommand({
      RoleArn: this.o.roleArn,
      RoleSessionName: pushSessionName(user),
      DurationSeconds: PUSH_SESSION_SECONDS,
      Policy: JSON.stringify(pushSessionPolicy(project, this.o)),
    }));
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new BerthError(502, 'NoCredentials', 'STS answered AssumeRole without credentials', { suggestion: 'try again in a moment' });
    const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    const ecr = (this.o.ecrWith ?? ((cr) => new ECRClient({ region: this.o.region, credentials: cr })))(credentials);
    const out = await ecr.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData?.[0];
    const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new BerthError(502, 'NoCredentials', 'ECR answered GetAuthorizationToken without a login', { suggestion: 'try again in a moment' });
    // The login is good while both the token and the session behind it are.
    const ends = [data?.expiresAt, c.Expiration].filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
    return {
      host: this.o.host,
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      expiresAt: new Date(Math.min(...ends, Date.now() + PUSH_SESSION_SECONDS * 1000)).toISOString(),
      repositoryPrefix: `${this.o.host}/${this.o.prefix}/${project}/`,
    };
  }
}
