// The AWS adapter of per-project execution roles (shared/project/execution-roles.ts): one IAM
// role per project, made with CreateRole under /berth/projects/ with the fleet's permissions
// boundary and Berth's tags, its one inline policy written with PutRolePolicy (project-roles.ts
// builds both). A role that exists already is Berth's only if it carries the boundary and
// Berth's tags for that project; Berth never changes or deletes any other role (STYLE 7): making
// one fails with NotOwned, removing one leaves it be.
// IAM API Reference: CreateRole, GetRole, PutRolePolicy, DeleteRolePolicy, DeleteRole.
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  type IAMClient,
  type Role,
} from '@aws-sdk/client-iam';
import type { ExecutionRoleRecord, ProjectExecutionRoles } from '../project/execution-roles.ts';
import { NotOwnedError, ownedByBerth } from './ownership.ts';
import {
  CLAIM_MOUNT_POLICY_NAME,
  PROJECT_ROLE_PATH,
  PROJECT_ROLE_POLICY_NAME,
  claimMountPolicy,
  createRoleInput,
  projectRoleArn,
  projectRoleName,
  projectRolePolicy,
  projectRoleVersion,
  type ProjectRoleSettings,
} from './project-roles.ts';

export interface IamProjectRolesOptions extends ProjectRoleSettings {
  client: IAMClient;
}

const gone = (err: unknown) => {
  if (!(err instanceof NoSuchEntityException)) throw err;
};

export class IamProjectRoles implements ProjectExecutionRoles {
  constructor(private readonly opts: IamProjectRolesOptions) {}

  desired(project: string): ExecutionRoleRecord {
    return { arn: projectRoleArn(this.opts.boundaryArn, project), version: projectRoleVersion(project, this.opts) };
  }

  /** Creates the role (or finds it Berth's), then writes its policy: a changed policy reaches old roles too. */
  async ensure(project: string): Promise<void> {
    const RoleName = projectRoleName(project);
    try {
      await this.opts.client.send(new CreateRoleCommand(createRoleInput(project, this.opts)));
    } catch (err) {
      if (!(err instanceof EntityAlreadyExistsException)) throw err;
      this.checkOwned(await this.role(RoleName), project);
    }
    await this.opts.client.send(new PutRolePolicyCommand({ RoleName, PolicyName: PROJECT_ROLE_POLICY_NAME, PolicyDocument: JSON.stringify(projectRolePolicy(project, this.opts)) }));
  }

  /**
   * Deletes the role's inline policy, then the role (IAM refuses to delete a role that has one).
   * A role of that name that is not Berth's for the project is left alone, and does not hold up
   * the project's deletion: Berth never made it.
   */
  async remove(project: string): Promise<void> {
    const RoleName = projectRoleName(project);
    const role = await this.role(RoleName);
    if (!role || !this.owned(role, project)) return;
    for (const PolicyName of [PROJECT_ROLE_POLICY_NAME, CLAIM_MOUNT_POLICY_NAME]) await this.opts.client.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })).catch(gone);
    await this.opts.client.send(new DeleteRoleCommand({ RoleName })).catch(gone);
  }

  /**
   * Lets the project's pods mount exactly these access points of the claims file system (its
   * claims'): the claim-mounts policy is rewritten whole, and removed when the project has none.
   * Only a role that is Berth's for the project is touched.
   */
  async allowClaimMounts(project: string, fileSystemArn: string, accessPointArns: readonly string[]): Promise<void> {
    const RoleName = projectRoleName(project);
    const role = await this.role(RoleName);
    // The project's role comes with the project: until it is there, the claim waits (and is retried).
    if (!role) throw new Error(`IAM role ${RoleName} of project ${project} is not made yet`);
    this.checkOwned(role, project);
    if (!accessPointArns.length) {
      await this.opts.client.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: CLAIM_MOUNT_POLICY_NAME })).catch(gone);
      return;
    }
    await this.opts.client.send(new PutRolePolicyCommand({ RoleName, PolicyName: CLAIM_MOUNT_POLICY_NAME, PolicyDocument: JSON.stringify(claimMountPolicy(fileSystemArn, accessPointArns)) }));
  }

  private async role(RoleName: string): Promise<Role | undefined> {
    try {
      return (await this.opts.client.send(new GetRoleCommand({ RoleName }))).Role;
    } catch (err) {
      gone(err);
      return undefined;
    }
  }

  /** A role is Berth's for `project` when it is on Berth's path, under the boundary, with Berth's tags for it. */
  private owned(role: Role | undefined, project: string): boolean {
    const tags = Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key, t.Value]));
    return role?.Path === PROJECT_ROLE_PATH && role.PermissionsBoundary?.PermissionsBoundaryArn === this.opts.boundaryArn && ownedByBerth(tags, project);
  }

  private checkOwned(role: Role | undefined, project: string): void {
    if (!this.owned(role, project)) throw new NotOwnedError(`IAM role ${role?.Arn ?? projectRoleName(project)}`);
  }
}
