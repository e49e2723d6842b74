// The four EC2 calls project networks make (ProjectSecurityGroups), over a bare EC2Client and
// only the commands used, so that the resync function's bundle does not carry all of EC2.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { Ec2SecurityGroupsClient } from './project-security-groups.ts';

/**
 * ProjectSecurityGroups' EC2 port over the SDK client.
 * @example new ProjectSecurityGroups({ ec2: ec2SecurityGroups(new EC2Client({ region })), vpcId, routersGroupId })
 */
export function ec2SecurityGroups(client: EC2Client): Ec2SecurityGroupsClient {
  return {
    describeSecurityGroups: (input) => client.send(new DescribeSecurityGroupsCommand(input)),
    createSecurityGroup: (input) => client.send(new CreateSecurityGroupCommand(input)),
    authorizeSecurityGroupIngress: (input) => client.send(new AuthorizeSecurityGroupIngressCommand(input)),
    deleteSecurityGroup: (input) => client.send(new DeleteSecurityGroupCommand(input)),
  };
}
