// The port of registry logins handed out per project (ECR on AWS: shared/aws/ecr-push-credentials.ts),
// where the platform's registry has its own credentials and cannot take a Berth token.

/** A Docker login to the registry that reaches one project's repositories, until `expiresAt`. */
export interface PushLogin {
  host: string;
  username: string;
  password: string;
  /** ISO time. */
  expiresAt: string;
  /** What the project's images are pushed as: `<host>/<prefix>/<project>/` + `NAME:TAG`. */
  repositoryPrefix: string;
}

export interface PushCredentialIssuer {
  /** The registry's host, for `GET /api/v1/registry`. */
  readonly host: string;
  /** A login for `project`'s repositories, its `streams`' repositories made first. */
  issue(project: string, user: string, streams: readonly string[]): Promise<PushLogin>;
}
