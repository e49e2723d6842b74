// The adapter of project networks on AWS: one EC2 security group per project (pod-network.ts
// says what it holds), made with the project's first pod and removed once no pod uses it. It
// touches only groups tagged as Berth's project groups (STYLE 7).
//
// The client is narrow (STYLE 9): the four EC2 calls this needs, with the names and shapes of the
// AWS SDK's aggregated `EC2` client (`new EC2({ region })` from @aws-sdk/client-ec2 fits), so the
// adapter is tested against the exact requests it sends.
import { MANAGED_TAG, PROJECT_TAG } from './ownership.ts';
import { NETWORK_TAG, projectGroupInput, projectIngressInput } from './pod-network.ts';

type Filter = { Name: string; Values: string[] };
type GroupPairs = { GroupId?: string; Description?: string }[];

export interface Ec2SecurityGroupsClient {
  describeSecurityGroups(input: { Filters: Filter[]; NextToken?: string }): Promise<{ SecurityGroups?: { GroupId?: string; Tags?: { Key?: string; Value?: string }[] }[]; NextToken?: string }>;
  createSecurityGroup(input: ReturnType<typeof projectGroupInput>): Promise<{ GroupId?: string }>;
  authorizeSecurityGroupIngress(input: { GroupId: string; IpPermissions: { IpProtocol: string; FromPort?: number; ToPort?: number; UserIdGroupPairs: GroupPairs }[] }): Promise<unknown>;
  deleteSecurityGroup(input: { GroupId: string }): Promise<unknown>;
}

export interface ProjectSecurityGroupsOptions {
  ec2: Ec2SecurityGroupsClient;
  /** The VPC of the tenant hosts. */
  vpcId: string;
  /** The group the routers carry; a project's group lets it reach the pods' ports. */
  routersGroupId: string;
}

const code = (err: unknown) => (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code;

export class ProjectSecurityGroups {
  private readonly known = new Map<string, string>();

  constructor(private readonly opts: ProjectSecurityGroupsOptions) {}

  private filters(project?: string): Filter[] {
    return [
      { Name: 'vpc-id', Values: [this.opts.vpcId] },
      { Name: `tag:${MANAGED_TAG}`, Values: ['true'] },
      { Name: `tag:${NETWORK_TAG}`, Values: ['project'] },
      ...(project !== undefined ? [{ Name: `tag:${PROJECT_TAG}`, Values: [project] }] : []),
    ];
  }

  /** The project's group id, made (with its ingress) when missing; safe to race. */
  async securityGroupOf(project: string): Promise<string> {
    const cached = this.known.get(project);
    if (cached) return cached;
    let id = await this.find(project);
    if (!id) {
      try {
        id = (await this.opts.ec2.createSecurityGroup(projectGroupInput(project, this.opts.vpcId))).GroupId;
        if (!id) throw new Error(`EC2 made no security group for project ${project}`);
        await this.opts.ec2.authorizeSecurityGroupIngress(projectIngressInput(id, this.opts.routersGroupId));
      } catch (err) {
        // Made by a concurrent call (whose ingress is its own to add): use that one.
        if (code(err) !== 'InvalidGroup.Duplicate') throw err;
        id = await this.find(project);
        if (!id) throw err;
      }
    }
    this.known.set(project, id);
    return id;
  }

  /**
   * Removes the groups of projects not in `keep` (projects without pods); a group still in use
   * by an interface being released is left for the next time. Returns the projects whose group went.
   */
  async prune(keep: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const g of await this.all()) {
      const project = g.Tags?.find((t) => t.Key === PROJECT_TAG)?.Value;
      if (!project || !g.GroupId || keep.has(project)) continue;
      try {
        await this.opts.ec2.deleteSecurityGroup({ GroupId: g.GroupId });
        this.known.delete(project);
        removed.push(project);
      } catch (err) {
        if (code(err) !== 'DependencyViolation' && code(err) !== 'InvalidGroup.NotFound') throw err;
      }
    }
    return removed;
  }

  private async find(project: string): Promise<string | undefined> {
    const out = await this.opts.ec2.describeSecurityGroups({ Filters: this.filters(project) });
    return out.SecurityGroups?.[0]?.GroupId;
  }

  private async all() {
    const groups: NonNullable<Awaited<ReturnType<Ec2SecurityGroupsClient['describeSecurityGroups']>>['SecurityGroups']> = [];
    let NextToken: string | undefined;
    do {
      const out = await this.opts.ec2.describeSecurityGroups({ Filters: this.filters(), ...(NextToken ? { NextToken } : {}) });
      groups.push(...(out.SecurityGroups ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    return groups;
  }
}
