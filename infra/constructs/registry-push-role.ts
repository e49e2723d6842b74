// The platform's registry push role, for pushes from outside on AWS (`berth registry login`):
// the API function assumes it with a session policy naming one project's repositories
// (shared/aws/ecr-push-credentials.ts), so each login reaches that project only. The role itself
// allows pushes and pulls of tenant repositories under berth/ and denies the platform's own
// (berth/builder, berth/s2i/*, berth/openshift/*) whatever a session asks; only the API function
// may assume it, and sessions last an hour at most.
import { Duration, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ECR_PUSH_ACTIONS } from '../../shared/aws/ecr-push-credentials.ts';
import { REPOSITORY_PREFIX } from './registry.ts';

/** The platform's own repositories: never pushed to from outside. */
export const PLATFORM_REPOSITORIES = ['builder', 's2i/*', 'openshift/*'];

export class RegistryPushRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: { issuer: IRole }) {
    super(scope, id);
    const repositories = (name: string) => Stack.of(this).formatArn({ service: 'ecr', resource: 'repository', resourceName: `${REPOSITORY_PREFIX}/${name}` });
    this.role = new Role(this, 'Role', {
      assumedBy: props.issuer,
      maxSessionDuration: Duration.hours(1),
      description: 'Berth: pushes from outside, assumed by the API with a session policy naming one project\'s repositories',
    });
    // GetAuthorizationToken has no resource-level permission; the token carries the session's permissions.
    this.role.addToPolicy(new PolicyStatement({ sid: 'RegistryLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    this.role.addToPolicy(new PolicyStatement({ sid: 'PushTenantRepositories', actions: ECR_PUSH_ACTIONS, resources: [repositories('*')] }));
    this.role.addToPolicy(new PolicyStatement({ sid: 'NeverPlatformRepositories', effect: Effect.DENY, actions: ECR_PUSH_ACTIONS, resources: PLATFORM_REPOSITORIES.map(repositories) }));
  }

  /** Lets `grantee` (the API function) assume the role. */
  grantAssume(grantee: IGrantable): void {
    this.role.grantAssumeRole(grantee.grantPrincipal);
  }
}
