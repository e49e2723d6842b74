// What the control plane may do in AWS Cloud Map (shared/aws/cloud-map.ts): make private DNS
// namespaces only with Berth's tags, and touch (services, instances, deletion) only namespaces and
// services that carry them. Namespace and service ARNs are made of ids, so the tags are the scope.
// Cloud Map makes a namespace's Route 53 private hosted zone and its records with the caller's
// permissions (AWS Cloud Map Developer Guide, "AWS Cloud Map API permissions reference"): those
// Route 53 and EC2 actions are allowed only through an AWS service (aws:ViaAWSService), never
// called by the function itself, and record changes only under `.svc` names. Each Service's
// proxy (shared/aws/ecs-service-proxies.ts) is run here too: RunTask only of the proxies'
// families in Berth's cluster, their task definitions tagged only as they are registered; the
// list, describe, stop and register calls are the fleet's grant (fleet-stack.ts grantControl).
import { Stack } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PolicyStatement, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import { PROTECTED, REPOSITORY_PREFIX } from './registry.ts';
import { MANAGED_TAG, PROJECT_TAG } from '../../shared/aws/ownership.ts';
import { SERVICE_TAG } from '../../shared/aws/cloud-map.ts';
import { PROXY_FAMILY_PREFIX, PROXY_IMAGE_REPOSITORY } from '../../shared/aws/service-proxy-task.ts';

/** The policy's id in the grantee's stack (one policy, attached to every role granted). */
export const SERVICE_DISCOVERY_POLICY = 'ServiceDiscoveryPolicy';

/**
 * Grants `grantee` (a role) Berth's Cloud Map operations through one customer managed policy of
 * its stack, written out in the template: the reconciler functions' inline policies are near
 * IAM's size limit for a role's inline policies, which CDK would otherwise overflow unnamed.
 */
export function grantServiceDiscovery(grantee: IGrantable, clusterArn: string): void {
  const role = grantee.grantPrincipal as IRole;
  const stack = Stack.of(role);
  const found = stack.node.tryFindChild(SERVICE_DISCOVERY_POLICY) as ManagedPolicy | undefined;
  const policy = found ?? new ManagedPolicy(stack, SERVICE_DISCOVERY_POLICY, { description: 'Berth: Services\' names in Cloud Map (a private DNS namespace per project) and their proxies', statements: serviceDiscoveryStatements(stack, clusterArn) });
  policy.attachToRole(role);
}

function serviceDiscoveryStatements(scope: Stack, clusterArn: string): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  const add = (actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) => out.push(new PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }));
  const arn = (resource: string) => scope.formatArn({ service: 'servicediscovery', resource, resourceName: '*' });
  const berths = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } };
  // Namespaces: made only with Berth's two tags (CreatePrivateDnsNamespace has no resource type).
  add(['servicediscovery:CreatePrivateDnsNamespace'], ['*'], {
    StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' },
    Null: { [`aws:RequestTag/${PROJECT_TAG}`]: 'false' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_TAG, PROJECT_TAG] },
  });
  // Namespaces and services: changed, filled and deleted only while they carry Berth's tag;
  // services made only in such namespaces (CreateService names both), tagged as Berth's.
  add(['servicediscovery:DeleteNamespace', 'servicediscovery:CreateService', 'servicediscovery:RegisterInstance', 'servicediscovery:DeregisterInstance', 'servicediscovery:ListInstances', 'servicediscovery:DeleteService'], [arn('namespace'), arn('service')], berths);
  add(['servicediscovery:CreateService'], [arn('service')], {
    StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_TAG, PROJECT_TAG, SERVICE_TAG] },
  });
  // Reads: an operation's status, and finding Berth's namespaces and services (then their tags);
  // Cloud Map offers no resource-level permission for the lists (Service Authorization Reference, AWS Cloud Map).
  add(['servicediscovery:GetOperation', 'servicediscovery:ListNamespaces', 'servicediscovery:ListServices', 'servicediscovery:ListTagsForResource'], ['*']);
  // What Cloud Map does in Route 53 and EC2 for the caller: only through it, and records only under .svc names.
  const via = { Bool: { 'aws:ViaAWSService': 'true' } };
  add(['route53:CreateHostedZone', 'route53:ListHostedZonesByName', 'ec2:DescribeVpcs', 'ec2:DescribeRegions'], ['*'], via);
  add(['route53:GetHostedZone', 'route53:DeleteHostedZone', 'route53:ChangeResourceRecordSets'], [`arn:${scope.partition}:route53:::hostedzone/*`], {
    ...via, 'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*.svc'] },
  });
  // Services' proxies: run only their families, only in Berth's cluster; tag their task definitions only at registration.
  const proxies = scope.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${PROXY_FAMILY_PREFIX}*:*` });
  add(['ecs:RunTask'], [proxies], { ArnEquals: { 'ecs:cluster': clusterArn } });
  add(['ecs:TagResource'], [proxies], { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
  // The proxy image is the platform's: never changed by the reconcilers, whose registry grant covers berth/*.
  out.push(new PolicyStatement({
    sid: 'ProtectServiceProxyImage', effect: Effect.DENY, actions: PROTECTED,
    resources: [scope.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${REPOSITORY_PREFIX}/${PROXY_IMAGE_REPOSITORY}` })],
  }));
  return out;
}
