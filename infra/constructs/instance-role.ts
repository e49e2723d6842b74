// The role of an ECS container host. aws-ecs adds `logs:CreateLogStream` and `logs:PutLogEvents`
// on every log group ("*") to any host it configures; Berth's hosts don't need them, because
// their agent is told (ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE) to ship container logs with
// each task's execution role, which may write only its own log group. So this role drops those
// two actions from any statement whose resource is "*", and keeps everything else as given.
import { PolicyStatement, Role, ServicePrincipal, type AddToPrincipalPolicyResult } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

const DROPPED = new Set(['logs:CreateLogStream', 'logs:PutLogEvents']);

export class HostInstanceRole extends Role {
  constructor(scope: Construct, id: string, description: string) {
    super(scope, id, { assumedBy: new ServicePrincipal('ec2.amazonaws.com'), description });
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    if (!statement.resources.includes('*') || !statement.actions.some((a) => DROPPED.has(a))) {
      return super.addToPrincipalPolicy(statement);
    }
    const json = statement.toStatementJson() as { Action: string | string[] };
    const kept = [json.Action].flat().filter((a) => !DROPPED.has(a));
    return super.addToPrincipalPolicy(PolicyStatement.fromJson({ ...json, Action: kept }));
  }
}
