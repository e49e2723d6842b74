// Why each wildcard cdk-nag's AwsSolutions-IAM5 finds in Berth's policies is there. Every other
// finding is either fixed or suppressed next to the resource it concerns, with its reason.
// test/infra/least-privilege.test.ts checks the same ground independently: it walks every
// policy and fails on any "*" action or resource not on its own, named allow-list.
import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

const arn = (service: string, resource: string) =>
  `/^Resource::arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}$/`;

export const WILDCARD_REASONS: { appliesTo: string; reason: string }[] = [
  {
    appliesTo: 'Resource::*',
    reason: 'Only for actions AWS offers no resource-level permission for (X-Ray PutTraceSegments/PutTelemetryRecords, ecr:GetAuthorizationToken, ecr:DescribeRepositories without names (listing the registry to find Berth\'s repositories by prefix: names only, every change still under berth/), ecs:DiscoverPollEndpoint, ecs:Register/Deregister/DescribeTaskDefinition, ec2:DescribeSecurityGroups, autoscaling:DescribeAutoScalingGroups, secretsmanager:ListSecrets, ecs:PutAccountSettingDefault held to awsvpcTrunking by the ecs:account-setting condition, the claims-data function\'s network interfaces in the VPC as AWSLambdaVPCAccessExecutionRole gives them), and ecs:Poll/StartTelemetrySession/ListTasks (a pod\'s tasks listed by startedBy alone are authorised against "*"), held to this cluster by the ecs:cluster condition; and the ssmmessages Create/Open Control/Data Channel of the pods\' task role and the project roles\' boundary, which ECS Exec\'s agent in each task needs and Session Manager offers no resource-level permission for; Cloud Map\'s CreatePrivateDnsNamespace (held to Berth\'s tags by conditions), GetOperation and its List* reads, and what Cloud Map does in Route 53 and EC2 when it makes a namespace (held to aws:ViaAWSService).',
  },
  // References show as <Table….Arn> inside the stack and as Berth-State:ExportsOutput…Table… across stacks.
  { appliesTo: '/^Resource::[^/]*Table[0-9A-F]{8}[^/]*\\/index\\/\\*$/', reason: 'The indexes of Berth\'s own table (the store queries byKind).' },
  { appliesTo: '/^Resource::[^/]*SourcesBucket[0-9A-F]{8}[^/]*\\/sources\\/\\*$/', reason: 'Uploaded build sources, sources/<project>/<build>.tar in Berth\'s own sources bucket: the keys are made at run time, one per binary build.' },
  { appliesTo: 'Action::ecs:Submit*', reason: 'Added by aws-ecs for the ECS agent on container hosts (Submit{Task,Container,Attachment}StateChange), resource limited to this cluster.' },
  { appliesTo: arn('ecr', 'repository\\/berth\\/\\*'), reason: 'Repositories under Berth\'s prefix only: tenant repositories are created at run time, one per project and image stream; the platform\'s own are protected by an explicit Deny.' },
  { appliesTo: arn('ecr', 'repository\\/berth\\/<aws:PrincipalTag\\/berth-project>\\/\\*'), reason: 'One build\'s own project\'s repositories: the project comes from the build\'s session tag; the image streams are made at run time.' },
  { appliesTo: arn('ecr', 'repository\\/berth\\/s2i\\/\\*'), reason: 'Pull only, the platform\'s shared S2I builder images (one repository per builder image).' },
  { appliesTo: arn('ecr', 'repository\\/berth\\/openshift\\/\\*'), reason: 'Pull only, the shared images of the platform\'s openshift project (written by cluster admins).' },
  { appliesTo: arn('ecr', 'repository\\/berth\\/<aws:PrincipalTag\\/berth:project>\\/\\*'), reason: 'The permissions boundary of project roles: pulls from the repositories of the project named by the role\'s own berth:project tag; the image streams are made at run time.' },
  { appliesTo: arn('logs', 'log-group:<PodLogs[0-9A-F]{8}>:log-stream:<aws:PrincipalTag\\/berth:project>\\/\\*'), reason: 'The permissions boundary of project roles: the log streams of the role\'s own project in the pods\' log group (awslogs names them <project>/<container>/<task id>).' },
  { appliesTo: arn('secretsmanager', 'secret:berth\\/<aws:PrincipalTag\\/berth:project>\\/\\*'), reason: 'The permissions boundary of project roles: the Secret values of the role\'s own project\'s pods (berth/<project>/<secret>, made at run time), which ECS\'s agent reads with the role when a task starts.' },
  { appliesTo: '/^Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role\\/berth\\/projects\\/\\*$/', reason: 'Project execution roles, made at run time, one per project, under this path only: created, changed and deleted only with Berth\'s permissions boundary (iam:PermissionsBoundary), tagged only with Berth\'s tags, passed only to ECS tasks.' },
  { appliesTo: arn('ecs', 'task-definition\\/berth-builder:\\*'), reason: 'Every revision of the builder task definition family, and no other family.' },
  { appliesTo: arn('ecs', 'task-definition\\/berth-import:\\*'), reason: 'Every revision of the import task definition family (berth import-image), and no other family, run by the API only, in Berth\'s cluster only.' },
  { appliesTo: arn('ecs', 'task-definition\\/berth-pod-\\*:\\*'), reason: 'Pod task definitions are registered at run time, one family per deployment, all under the berth-pod- prefix.' },
  { appliesTo: arn('ecs', 'task-definition\\/berth-proxy-\\*:\\*'), reason: 'Services\' proxy task definitions are registered at run time, one family per Service, all under the berth-proxy- prefix, run only in Berth\'s cluster.' },
  { appliesTo: arn('secretsmanager', 'secret:berth\\/\\*'), reason: 'Pods\' Secret values for ECS to fetch, one Secrets Manager secret per Berth Secret (berth/<project>/<secret>) made at run time: the control plane writes them and deletes them with their project, each project\'s own execution role reads its own.' },
  { appliesTo: arn('elasticfilesystem', 'access-point\\/\\*'), reason: 'Claims\' EFS access points are made at run time, one per persistent volume claim: created only with Berth\'s tags on the claims file system, deleted only while tagged as Berth\'s (conditions).' },
  { appliesTo: arn('ec2', 'security-group\\/\\*'), reason: 'Project security groups are made at run time, one per project: created only with Berth\'s tags, changed and deleted only while they carry them, in Berth\'s VPC (conditions).' },
  { appliesTo: arn('autoscaling', 'autoScalingGroup:\\*:autoScalingGroupName\\/<[^>]*TenantHostsASG[^>]*>'), reason: 'The tenant hosts\' Auto Scaling group, by name: the group id part of its ARN is made by Auto Scaling at creation and cannot be known in the template.' },
  { appliesTo: '/^Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:\\*:document\\/AWS-StartPortForwardingSession$/', reason: 'Session Manager\'s own port-forwarding document, whose ARN AWS writes with an empty account or the caller\'s: the API opens port-forward sessions with it and no other document.' },
  { appliesTo: '/^Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:[^:]*PodLogs[0-9A-F]{8}[^:]*:log-stream:\\*$/', reason: 'The pods\' log streams (<project>/<container>/<task id>, made by awslogs at run time), read by the API for `berth logs` after it has authorised the pod.' },
  { appliesTo: arn('servicediscovery', '(namespace|service)\\/\\*'), reason: 'Cloud Map namespaces (one per project) and services (one per Berth Service) are made at run time and named by ids Cloud Map chooses: created only with Berth\'s tags, changed, filled and deleted only while they carry berth:managed (conditions).' },
  { appliesTo: '/^Resource::arn:<AWS::Partition>:route53:::hostedzone\\/\\*$/', reason: 'The private hosted zones Cloud Map makes for Berth\'s namespaces (ids chosen by Route 53): allowed only through an AWS service (aws:ViaAWSService), record changes only under .svc names.' },
  { appliesTo: arn('execute-api', '<Push[^>]*>\\/live\\/POST\\/@connections\\/\\*'), reason: 'Posting to the push connections of the push stage: connections are made at run time, one per client, and named by ids API Gateway chooses; only POST (PostToConnection), only on this stage, only for the stream function.' },
  { appliesTo: arn('ecs', '(task|container-instance)\\/[^/]*Cluster[0-9A-F]{8}[^/]*\\/\\*'), reason: 'Tasks and container instances of Berth\'s cluster only; their ids are made at run time.' },
];

/** Attaches the wildcard reasons to every stack (cdk-nag regexes are written /…/). */
export function justifyWildcards(stacks: Stack[]): void {
  for (const stack of stacks) {
    NagSuppressions.addStackSuppressions(stack, WILDCARD_REASONS.map(({ appliesTo, reason }) => ({
      id: 'AwsSolutions-IAM5',
      reason,
      appliesTo: [appliesTo.startsWith('/') ? { regex: appliesTo } : appliesTo],
    })));
  }
}
