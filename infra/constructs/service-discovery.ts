// What the control plane may do in AWS Cloud Map (shared/aws/cloud-map.ts): make private DNS
// namespaces only with Berth's tags, and touch (services, instances, deletion) only namespaces and
// services that carry them. Namespace and service ARNs are made of ids, so the tags are the scope.
// Cloud Map makes a namespace's Route 53 private hosted zone and its records with the caller's
// permissions (AWS Cloud Map Developer Guide, "AWS Cloud Map API permissions reference"): those
// Route 53 and EC2 actions are allowed only through an AWS service (aws:ViaAWSService), never
// called by the function itself, and record changes only under `.svc` names.
import { Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { MANAGED_TAG, PROJECT_TAG } from '../../shared/aws/ownership.ts';
import { SERVICE_TAG } from '../../shared/aws/cloud-map.ts';

/** Grants `grantee` Berth's Cloud Map operations (the stream and resync functions, with the fleet access). */
export function grantServiceDiscovery(scope: Stack, grantee: IGrantable): void {
  const add = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) => Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
  const arn = (resource: string) => scope.formatArn({ service: 'servicediscovery', resource, resourceName: '*' });
  const berths = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } };
  // Namespaces: made only with Berth's two tags (CreatePrivateDnsNamespace has no resource type).
  add(['servicediscovery:CreatePrivateDnsNamespace'], ['*'], {
    StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' },
    Null: { [`aws:RequestTag/${PROJECT_TAG}`]: 'false' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_TAG, PROJECT_TAG] },
  });
  add(['servicediscovery:DeleteNamespace'], [arn('namespace')], berths);
  // Services: made in Berth's namespaces only, tagged as Berth's; changed and deleted only while tagged.
  add(['servicediscovery:CreateService'], [arn('namespace')], berths);
  add(['servicediscovery:CreateService'], [arn('service')], {
    StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: 'true' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_TAG, PROJECT_TAG, SERVICE_TAG] },
  });
  add(['servicediscovery:RegisterInstance', 'servicediscovery:DeregisterInstance', 'servicediscovery:ListInstances', 'servicediscovery:DeleteService'], [arn('service')], berths);
  // Reading an operation's status changes nothing.
  add(['servicediscovery:GetOperation'], [arn('namespace'), arn('service')]);
  // Cloud Map offers no resource-level permission for these reads (Service Authorization Reference, AWS Cloud Map).
  add(['servicediscovery:ListNamespaces', 'servicediscovery:ListServices', 'servicediscovery:ListTagsForResource'], ['*']);
  // What Cloud Map does in Route 53 and EC2 for the caller: only through it.
  const via = { Bool: { 'aws:ViaAWSService': 'true' } };
  add(['route53:CreateHostedZone', 'route53:ListHostedZonesByName', 'ec2:DescribeVpcs', 'ec2:DescribeRegions'], ['*'], via);
  const zones = `arn:${scope.partition}:route53:::hostedzone/*`;
  add(['route53:GetHostedZone', 'route53:DeleteHostedZone'], [zones], via);
  add(['route53:ChangeResourceRecordSets'], [zones], { ...via, 'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*.svc'] } });
}
