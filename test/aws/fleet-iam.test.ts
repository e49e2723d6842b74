// Every ECS request the fleet pass sends (captured from the real adapters with aws-sdk-client-mock)
// is allowed by the synthesised identity policies of the function that sends it (resync), and
// held to Berth's cluster. Evaluated offline with @cloud-copilot/iam-simulate, which applies AWS's
// policy evaluation logic.
// AWS documentation: Service Authorization Reference, "Actions, resources, and condition keys for
// Amazon Elastic Container Service": ListTasks names the container-instance resource type and the
// ecs:cluster condition key; a ListTasks call that names no container instance (a pod's tasks,
// listed by startedBy alone — "startedBy ... you can't specify other filters", ECS API Reference,
// ListTasks) is authorised against "*". DescribeTasks and StopTask: resource type task;
// StartTask: task-definition; RegisterTaskDefinition and DescribeTaskDefinition: "*";
// DescribeContainerInstances: container-instance; ListContainerInstances: cluster.
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverEcsHosts } from '../../shared/aws/ecs-hosts.ts';
import { podToken } from '../../shared/aws/ecs-pod-spec.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { concreteCondition, decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth, text } from '../infra/synth.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CLUSTER = 'berth-fleet';
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
const OTHER_CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/someone-else`;
const INSTANCE = `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${CLUSTER}/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c`;
const TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
const TD = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/berth-pod-demo_web:7`;
const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/berth-pod-execution`;

/** A synthesised value as the concrete ARN it would be in a deployed account. */
function concrete(value: unknown): string {
  return text(value)
    .replace(/<import:[^>]*FnGetAttCluster[^>]*Arn[^>]*>/g, CLUSTER_ARN)
    .replace(/<import:[^>]*RefCluster[^>]*>/g, CLUSTER)
    .replace(/<import:[^>]*PodExecutionRole[^>]*>/g, EXEC_ROLE)
    .replace(/<AWS::Partition>/g, 'aws')
    .replace(/<AWS::Region>/g, REGION)
    .replace(/<AWS::AccountId>/g, ACCOUNT);
}

interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

const inCluster = { 'ecs:cluster': CLUSTER_ARN };

/** What IAM authorises for one ECS request, per the Service Authorization Reference. */
function iamRequestsOf(name: string, input: Record<string, unknown>): IamRequest[] {
  switch (name) {
    case 'ListTasksCommand':
      return [{ action: 'ecs:ListTasks', resource: (input.containerInstance as string | undefined) ?? '*', context: inCluster }];
    case 'DescribeTasksCommand':
      return (input.tasks as string[]).map((t) => ({ action: 'ecs:DescribeTasks', resource: t, context: inCluster }));
    case 'StopTaskCommand':
      return [{ action: 'ecs:StopTask', resource: input.task as string, context: inCluster }];
    case 'StartTaskCommand':
      return [
        { action: 'ecs:StartTask', resource: input.taskDefinition as string, context: { ...inCluster, 'ecs:container-instances': input.containerInstances as string[] } },
        // Tags on StartTask are authorised as ecs:TagResource on the new task.
        { action: 'ecs:TagResource', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/new`, context: { 'ecs:CreateAction': 'StartTask' } },
      ];
    case 'RegisterTaskDefinitionCommand':
      return [
        { action: 'ecs:RegisterTaskDefinition', resource: '*', context: {} },
        { action: 'ecs:TagResource', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${String(input.family)}:1`, context: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        ...(input.executionRoleArn ? [{ action: 'iam:PassRole', resource: input.executionRoleArn as string, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }] : []),
      ];
    case 'DescribeTaskDefinitionCommand':
      return [{ action: 'ecs:DescribeTaskDefinition', resource: '*', context: {} }];
    case 'ListContainerInstancesCommand':
      return [{ action: 'ecs:ListContainerInstances', resource: CLUSTER_ARN, context: {} }];
    case 'DescribeContainerInstancesCommand':
      return (input.containerInstances as string[]).map((ci) => ({ action: 'ecs:DescribeContainerInstances', resource: ci, context: inCluster }));
    default:
      throw new Error(`no IAM mapping for ${name}`);
  }
}

let resync: PolicyDocument;

const decideFor = (req: IamRequest) =>
  decide(resync, { principal: `arn:aws:sts::${ACCOUNT}:assumed-role/ResyncFunctionRole/berth-resync`, action: req.action, resource: req.resource, accountId: ACCOUNT, context: req.context });

const ecs = mockClient(ECSClient);
const spec: PodSpecForHost = {
  project: 'demo', deployment: 'web', revision: 7, pod: 'web-7-x7k2p', image: 'registry.example/berth/demo/web@sha256:abc',
  env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 }, uid: 1_000_120_000,
};
const task: Task = {
  taskArn: TASK, containerInstanceArn: INSTANCE, startedBy: podToken('demo', 'web-7-x7k2p'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
  containers: [{ name: 'web', image: 'registry.example/berth/demo/web@sha256:old', networkBindings: [] }],
  tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'demo' }, { key: 'berth:deployment', value: 'web' }, { key: 'berth:revision', value: '6' }, { key: 'berth:pod', value: 'web-7-x7k2p' }],
};

/** Drives the fleet's ECS adapters through what one pass does, and returns every request they sent. */
async function captured(): Promise<{ name: string; input: Record<string, unknown> }[]> {
  ecs.reset();
  ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [INSTANCE] });
  ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: INSTANCE, status: 'ACTIVE', agentConnected: true, attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }] }] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [task], failures: [] });
  ecs.on(StopTaskCommand).resolves({ task: { ...task, desiredStatus: 'STOPPED' } });
  ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
  ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD, status: 'ACTIVE' } });
  ecs.on(StartTaskCommand).resolves({ tasks: [{ ...task, taskArn: `${TASK}0`, lastStatus: 'PENDING' }], failures: [] });
  const client = new ECSClient({ region: REGION });
  await discoverEcsHosts({ client, cluster: CLUSTER });
  const pods = new EcsPodContainers({ client, cluster: CLUSTER, containerInstanceArn: INSTANCE, address: '10.0.3.17', executionRoleArn: EXEC_ROLE, region: REGION });
  await pods.listPods();
  // The pod runs an older image: its task is stopped and a new one started.
  await pods.ensurePod(spec);
  await pods.inspectPod('demo', 'web-7-x7k2p');
  await pods.removePod('demo', 'web-7-x7k2p');
  return ecs.calls().map((c) => {
    const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    return { name: command.constructor.name, input: command.input };
  });
}

beforeAll(() => {
  const found = statements(synthBerth().templates).filter((s) => s.stack === 'controlPlane' && /^ResyncFunctionRoleDefaultPolicy/.test(s.holder));
  expect(found.length).toBeGreaterThan(3);
  resync = identityPolicy(found, concrete, concreteCondition(concrete));
}, 120_000);

describe('the fleet pass\'s ECS requests under the resync function\'s synthesised policies', () => {
  it('are every one allowed, the listing of a pod\'s tasks by startedBy alone included', async () => {
    const calls = await captured();
    const names = new Set(calls.map((c) => c.name));
    expect([...names].sort()).toEqual([
      'DescribeContainerInstancesCommand', 'DescribeTaskDefinitionCommand', 'DescribeTasksCommand', 'ListContainerInstancesCommand',
      'ListTasksCommand', 'RegisterTaskDefinitionCommand', 'StartTaskCommand', 'StopTaskCommand',
    ]);
    // The call that kept every pod Pending: a pod's tasks listed by their token only.
    expect(calls.some((c) => c.name === 'ListTasksCommand' && c.input.startedBy && !c.input.containerInstance)).toBe(true);
    const verdicts: string[] = [];
    for (const c of calls) {
      for (const req of iamRequestsOf(c.name, c.input)) verdicts.push(`${req.action} on ${req.resource}: ${await decideFor(req)}`);
    }
    expect(verdicts.filter((v) => !v.endsWith(': Allowed'))).toEqual([]);
  });

  it.each([
    ['listing tasks by startedBy', { action: 'ecs:ListTasks', resource: '*' }],
    ['listing an instance\'s tasks', { action: 'ecs:ListTasks', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/someone-else/1` }],
    ['describing tasks', { action: 'ecs:DescribeTasks', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/someone-else/1` }],
  ])('are denied in another cluster: %s', async (_what, req) => {
    expect(await decideFor({ ...req, context: { 'ecs:cluster': OTHER_CLUSTER_ARN } })).not.toBe('Allowed');
  });
});
