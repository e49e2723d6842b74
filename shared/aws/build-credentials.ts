// The credentials of one build on AWS: the build scope role (infra/constructs/build-scope.ts)
// assumed with the build's project and name as session tags, which every permission of the role
// is written with. The build reconciler passes them to the builder task, whose own role holds
// nothing, so a build can reach only its own project's partition, log, sources and repositories.
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { ObjectRef } from '../model/types.ts';

export interface BuildCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export const PROJECT_SESSION_TAG = 'berth-project';
export const BUILD_SESSION_TAG = 'berth-build';
/** An hour: the most a role session chained from a Lambda function's may last. */
const SESSION_SECONDS = 3600;

/** Credentials as a task container's environment (RunTask overrides), where the AWS SDK in the task finds them. */
export function credentialsEnvironment(c: BuildCredentials): { name: string; value: string }[] {
  return [
    { name: 'AWS_ACCESS_KEY_ID', value: c.accessKeyId },
    { name: 'AWS_SECRET_ACCESS_KEY', value: c.secretAccessKey },
    { name: 'AWS_SESSION_TOKEN', value: c.sessionToken },
  ];
}

/** The AssumeRole request for one build (pure). */
export function assumeRoleInput(roleArn: string, build: ObjectRef) {
  return {
    RoleArn: roleArn,
    RoleSessionName: `build-${build.project}-${build.name}`.slice(0, 64),
    DurationSeconds: SESSION_SECONDS,
    Tags: [
      { Key: PROJECT_SESSION_TAG, Value: build.project },
      { Key: BUILD_SESSION_TAG, Value: build.name },
    ],
  };
}

/** A credentials source for EcsBuildLauncher: assumes `roleArn` for each build. */
export function scopedBuildCredentials(client: STSClient, roleArn: string): (build: ObjectRef) => Promise<BuildCredentials> {
  return async (build) => {
    const out = await client.send(new AssumeRoleCommand(assumeRoleInput(roleArn, build)));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`STS gave no credentials for build ${build.project}/${build.name}`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  };
}
