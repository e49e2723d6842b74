// Where persistent volume claims live on AWS: one encrypted EFS file system (shared/aws/efs-claims.ts
// makes an access point per claim at run time). Who reaches it:
// - over the network, port 2049 only, from the tenant hosts (the ECS agent mounts a pod's claim
//   there, on the host's own interface; pods on project networks have their project's security
//   group, which this one does not admit) and from the claims-data function;
// - over NFS, only with IAM authorization and TLS: the file system policy grants nothing to
//   anonymous clients and refuses any request not in TLS, so a mount without a role is refused;
//   a pod's task role (its project's) may mount only its project's access points
//   (project-roles.ts claimMountPolicy), the claims-data function only its own access point at
//   /berth, where it wipes deleted claims' directories as root.
// - over the EFS API, the control plane makes access points only tagged as Berth's and deletes
//   only those (grantManage).
// Storage choices (berth:claimBackups, berth:claimsToInfrequentAccessDays; docs/aws.md,
// docs/cost.md): Elastic throughput (pay per use, no provisioned rate), General Purpose mode,
// files untouched for 30 days move to Infrequent Access and come back on first access, daily
// AWS Backup on by default. The file system is retained when the stack goes: it holds tenants' data.
import { RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup, SubnetType, type ISecurityGroup, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { AccessPoint, FileSystem, LifecyclePolicy, OutOfInfrequentAccessPolicy, PerformanceMode, ThroughputMode } from 'aws-cdk-lib/aws-efs';
import { AnyPrincipal, Effect, Grant, PolicyDocument, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CLAIMS_ROOT } from '../../shared/aws/efs-claims.ts';
import { MANAGED_TAG, PROJECT_TAG } from '../../shared/aws/ownership.ts';

/** The tags an access point the control plane makes may carry (efs-claims.ts). */
const CLAIM_TAG_KEYS = [MANAGED_TAG, PROJECT_TAG, 'berth:claim', 'Name'];
/** Where the claims-data function sees the file system's /berth. */
export const CLAIMS_MOUNT = '/mnt/claims';

export interface ClaimsFileSystemProps {
  vpc: IVpc;
  /** The tenant hosts' security group: their ECS agents mount pods' claims. */
  tenantHosts: ISecurityGroup;
  backups: boolean;
  /** 0: files stay in Standard storage. */
  toInfrequentAccessDays: 0 | 7 | 14 | 30 | 60 | 90;
}

export class ClaimsFileSystem extends Construct {
  readonly fileSystem: FileSystem;
  /** The file system's own group: NFS in from the tenant hosts and the claims-data function only. */
  readonly securityGroup: SecurityGroup;
  /** The claims-data function's group (it reaches the file system and the table's endpoint). */
  readonly dataSecurityGroup: SecurityGroup;
  /** The claims-data function's way in: /berth as root, to wipe deleted claims' directories. */
  readonly dataAccessPoint: AccessPoint;

  constructor(scope: Construct, id: string, props: ClaimsFileSystemProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Berth claims file system: NFS from tenant hosts and the claims-data function', allowAllOutbound: false });
    this.dataSecurityGroup = new SecurityGroup(this, 'DataSecurityGroup', { vpc: props.vpc, description: 'Berth claims-data function', allowAllOutbound: false });
    // The table, through the VPC's DynamoDB gateway endpoint (its addresses are the service's
    // public ranges); NFS to the file system is opened by the function's mount.
    this.dataSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS: the table (DynamoDB endpoint)');
    const lifecycle = { 7: LifecyclePolicy.AFTER_7_DAYS, 14: LifecyclePolicy.AFTER_14_DAYS, 30: LifecyclePolicy.AFTER_30_DAYS, 60: LifecyclePolicy.AFTER_60_DAYS, 90: LifecyclePolicy.AFTER_90_DAYS } as const;
    this.fileSystem = new FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      // A mount target in each private subnet (one per zone): hosts mount in their own zone.
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: this.securityGroup,
      encrypted: true,
      performanceMode: PerformanceMode.GENERAL_PURPOSE,
      throughputMode: ThroughputMode.ELASTIC,
      ...(props.toInfrequentAccessDays ? { lifecyclePolicy: lifecycle[props.toInfrequentAccessDays], outOfInfrequentAccessPolicy: OutOfInfrequentAccessPolicy.AFTER_1_ACCESS } : {}),
      enableAutomaticBackups: props.backups,
      // Not what the name says: with `false`, CDK would add a statement granting every IAM principal
      // ClientWrite and ClientRootAccess through a mount target, which is the opposite of a project
      // role mounting its own access points only. The policy below is the whole policy: it allows
      // nothing, so anonymous clients get nothing and IAM principals only what their own policies give.
      allowAnonymousAccess: true,
      fileSystemPolicy: new PolicyDocument({
        statements: [new PolicyStatement({
          sid: 'TlsOnly', effect: Effect.DENY, principals: [new AnyPrincipal()], actions: ['*'], resources: ['*'],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        })],
      }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Tags.of(this.fileSystem).add(MANAGED_TAG, 'true');
    this.securityGroup.addIngressRule(Peer.securityGroupId(props.tenantHosts.securityGroupId), Port.tcp(2049), 'NFS from tenant hosts (ECS agent mounts pods\' claims)');
    this.dataAccessPoint = this.fileSystem.addAccessPoint('DataAccessPoint', {
      path: CLAIMS_ROOT,
      createAcl: { ownerUid: '0', ownerGid: '0', permissions: '0711' },
      posixUser: { uid: '0', gid: '0' },
    });
  }

  /**
   * Lets the control plane make access points on this file system only tagged as Berth's (with
   * no other tags), list them, and delete only those tagged as Berth's (Service Authorization
   * Reference, Amazon EFS: CreateAccessPoint on file-system with aws:RequestTag and
   * aws:TagKeys, its tags as TagResource on the access point with elasticfilesystem:CreateAction;
   * DescribeAccessPoints on the file system or the access point, DeleteAccessPoint on the access
   * point, both with aws:ResourceTag).
   */
  grantManage(grantee: IGrantable): void {
    const accessPoints = Stack.of(this).formatArn({ service: 'elasticfilesystem', resource: 'access-point', resourceName: '*' });
    const fs = this.fileSystem.fileSystemArn;
    const add = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) => Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    add(['elasticfilesystem:CreateAccessPoint'], [fs], { StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': CLAIM_TAG_KEYS } });
    add(['elasticfilesystem:TagResource'], [accessPoints], { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } });
    // The file system carries Berth's tag too: listing its access points and deleting one are allowed on Berth's only.
    add(['elasticfilesystem:DescribeAccessPoints', 'elasticfilesystem:DeleteAccessPoint'], [fs, accessPoints], { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } });
  }

  /** Variables of a function that makes claims' access points and mounts them into pods. */
  get environment(): Record<string, string> {
    return { BERTH_CLAIMS_FILE_SYSTEM_ID: this.fileSystem.fileSystemId, BERTH_CLAIMS_FILE_SYSTEM_ARN: this.fileSystem.fileSystemArn };
  }
}
