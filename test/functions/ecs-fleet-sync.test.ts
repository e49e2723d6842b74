// The resync function's pass over the ECS fleet, wired from the environment the stack gives it:
// a tenant container instance becomes a ready Host with its lease, and a pod bound to it is
// started there with StartTask on exactly that instance (ECS mocked, the table on DynamoDB Local).
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { pino } from 'pino';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ecsFleetSync } from '../../functions/wire-builds.ts';
import { FLEET_ERRORS_METRIC, FLEET_METRICS_NAMESPACE } from '../../shared/fleet/loop-errors.ts';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const ecs = mockClient(ECSClient);
const CLUSTER = 'berth-fleet';
const ARN = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/0123456789abcdef0123456789abcdef';
const HOST = hostNameOf(ARN);
let t: TestTable;

beforeAll(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
});

describe('the ECS fleet pass of the resync function', () => {
  it('registers the tenant instance as a Host and starts its bound pod on that instance', async () => {
    const env = { AWS_REGION: 'eu-west-1', TABLE_NAME: t.tableName, DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), BERTH_CLUSTER: CLUSTER, BERTH_POD_ROLE_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/berth/ProjectRolesBoundary' };
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [ARN] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        {
          containerInstanceArn: ARN,
          agentConnected: true,
          status: 'ACTIVE',
          attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }],
          registeredResources: [{ name: 'CPU', integerValue: 2048 }, { name: 'MEMORY', integerValue: 4096 }],
        },
      ],
    });
    const sync = ecsFleetSync({ store: t.store }, env);
    expect(await sync()).toEqual({ hosts: 1, pods: 0 });
    const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!;
    expect(host.spec).toMatchObject({ provider: 'ecs', endpoint: ARN, address: '10.0.3.17' });
    expect(await t.store.get({ kind: 'HostLease', project: '', name: HOST })).toBeDefined();

    const pod = await t.store.create<Pod>({
      kind: 'Pod',
      metadata: { name: 'web-1-abcde', project: 'shop', labels: { deploymentconfig: 'web', deployment: 'web-1' } },
      spec: { containers: [{ name: 'web', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:1', env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: {}, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 },
      status: { phase: 'Pending', conditions: [], restartCount: 0 },
    });
    await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod, host, request: podRequest(pod) });
    ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-pod-shop_web:1', status: 'ACTIVE' } });
    ecs.on(StartTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/t1', lastStatus: 'PENDING', containerInstanceArn: ARN, containers: [{ name: 'web' }] }], failures: [] });
    expect(await sync()).toEqual({ hosts: 1, pods: 1 });
    const started = ecs.commandCalls(StartTaskCommand).map((c) => c.args[0].input);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ cluster: CLUSTER, containerInstances: [ARN], taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-pod-shop_web:1' });
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    // The pod's project's own execution role, named from the boundary's account.
    expect(registered).toMatchObject({ executionRoleArn: 'arn:aws:iam::123456789012:role/berth/projects/berth-shop' });
    expect(registered.containerDefinitions![0]).toMatchObject({ privileged: false, user: expect.stringMatching(/^\d+:0$/) });
  });
});

describe('a fleet pass that ECS refuses', () => {
  it('logs each pod it could not start with the error and counts it in the fleet error metric (EMF)', async () => {
    // ECS API Reference, "Common Errors": AccessDeniedException, HTTP 400 ("You do not have
    // sufficient access to perform this action").
    ecs.reset();
    const env = { AWS_REGION: 'eu-west-1', TABLE_NAME: t.tableName, DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), BERTH_CLUSTER: CLUSTER };
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [ARN] });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [{ containerInstanceArn: ARN, agentConnected: true, status: 'ACTIVE', attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }], registeredResources: [{ name: 'CPU', integerValue: 2048 }, { name: 'MEMORY', integerValue: 4096 }] }],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-pod-shop_web:1', status: 'ACTIVE' } });
    const denied = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/berth-resync/fn is not authorized to perform: ecs:StartTask on resource: arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-pod-shop_web:1 because no identity-based policy allows the ecs:StartTask action'), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    ecs.on(StartTaskCommand).rejects(denied);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const sync = ecsFleetSync({ store: t.store, logger }, env);
    await sync();
    const errors = lines.filter((l) => l[FLEET_ERRORS_METRIC] === 1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      level: 50, Loop: 'ecs-fleet', host: HOST, pod: 'web-1-abcde',
      err: { type: 'Error', message: expect.stringContaining('ecs:StartTask') },
      _aws: { CloudWatchMetrics: [{ Namespace: FLEET_METRICS_NAMESPACE, Dimensions: [['Loop']], Metrics: [{ Name: FLEET_ERRORS_METRIC, Unit: 'Count' }] }] },
    });
    expect(typeof (errors[0]!._aws as { Timestamp: unknown }).Timestamp).toBe('number');
    // The pod says why it waits.
    const pod = (await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name: 'web-1-abcde' }))!;
    expect(pod.status).toMatchObject({ phase: 'Pending', reason: 'ContainerCreating', message: expect.stringContaining('not authorized') });
  });
});

