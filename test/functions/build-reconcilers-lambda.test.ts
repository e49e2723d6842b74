// The reconciler Lambdas run the build pipeline on AWS, offline: the stream handler module,
// wired from the environment the stack gives it, is fed the table's own stream records (Lambda
// event shape) from DynamoDB Local; ECS, S3 and ECR answer through aws-sdk-client-mock, and the
// exact requests are checked. The resync module notices a builder task that stopped.
import { DeleteRepositoryCommand, DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { proxyToken } from '../../shared/aws/service-proxy-task.ts';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { ListNamespacesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { Identity } from '../../shared/auth/identity.ts';
import { DynamoPushSubscriptions } from '../../shared/push/subscriptions.ts';
import { changed, PUSH_ENDPOINT } from '../support/push-aws.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';

import { BUILDCONFIG_LABEL, instantiateBuild, type Build } from '../../shared/builds/instantiate.ts';
import { freshTable, streamReader, type TestTable } from '../support/dynamo.ts';
import { useTableForLambda } from '../support/lambda.ts';

const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/berth-cluster/5f0c1d2e3b4a59687766554433221100';
const BUCKET = 'berth-state-sourcesbucket-0a1b2c';
const ecs = mockClient(ECSClient);
const s3 = mockClient(S3Client);
const ecr = mockClient(ECRClient);
// STS AssumeRole (AWS STS API Reference, "AssumeRole": Tags are session tags).
const sts = mockClient(STSClient);
// The resync function's autoscaler reads the tenant hosts' group (Amazon EC2 Auto Scaling API Reference, "DescribeAutoScalingGroups").
const asg = mockClient(AutoScalingClient);
// The resync's sweep of Services' names lists Berth's Cloud Map namespaces (AWS Cloud Map API Reference, "ListNamespaces").
const cloudMap = mockClient(ServiceDiscoveryClient);
// Notices to push connections (API Gateway Management API Reference, "PostToConnection").
const management = mockClient(ApiGatewayManagementApiClient);
const SCOPE_ROLE = 'arn:aws:iam::111122223333:role/berth-build-scope';
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
let t: TestTable;
let stream: (e: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
let resync: (event?: { time: string }) => Promise<{ reconciled: number; failed: number }>;
/** The stream records written since the last call, as Lambda would deliver them. */
let newRecords: () => Promise<DynamoDBStreamEvent>;

const ref = (name: string) => ({ kind: 'Build', project: 'demo', name });
const get = async (name: string) => (await t.store.get<Build>(ref(name)))!;

beforeAll(async () => {
  t = await freshTable();
  newRecords = streamReader(t);
  await t.store.create({ kind: 'Project', metadata: { name: 'demo', project: '' }, spec: {} });
  await t.store.create({
    kind: 'BuildConfig',
    metadata: { name: 'web', project: 'demo' },
    spec: {
      source: { binary: {} },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/s2i/python:latest' }, env: [], incremental: false } },
      output: { to: { kind: 'ImageStreamTag', name: 'web:latest' } },
      triggers: [], runPolicy: 'Serial', successfulBuildsHistoryLimit: 5, failedBuildsHistoryLimit: 5,
    },
  });
  useTableForLambda(t);
  // What the control-plane stack gives the stream and resync functions.
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    BERTH_CLUSTER: 'berth-cluster',
    BERTH_BUILD_CAPACITY_PROVIDER: 'berth-build-hosts',
    BERTH_BUILDER_TASK_DEFINITION: 'berth-builder',
    BERTH_BUILD_SCOPE_ROLE_ARN: SCOPE_ROLE,
    BERTH_SOURCES_BUCKET: BUCKET,
    BERTH_REGISTRY: REGISTRY,
    BERTH_REPOSITORY_PREFIX: 'berth',
    BERTH_APPS_DOMAIN: 'apps.example.com',
    BERTH_VPC_ID: 'vpc-0123456789abcdef0',
    BERTH_POD_SUBNETS: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
    BERTH_ROUTERS_SECURITY_GROUP: 'sg-0123456789abcdef0',
    BERTH_SERVICE_PROXY_IMAGE: `${REGISTRY}/berth/service-proxy:1`,
    BERTH_TENANT_HOSTS_GROUP: 'Berth-Fleet-TenantHostsAsg-0A1B2C3D4E5F',
    BERTH_PUSH_ENDPOINT: PUSH_ENDPOINT,
  });
  ({ handler: stream } = (await import('../../functions/reconcilers/stream.ts')) as unknown as { handler: typeof stream });
  ({ handler: resync } = (await import('../../functions/reconcilers/resync.ts')) as unknown as { handler: typeof resync });
  await newRecords(); // the project and BuildConfig: already there before the tests
});

describe('stream function on AWS', () => {
  it('runs a builder task for a new Build (exact RunTask input) with credentials scoped to the build, and records the task ARN as its agent, Pending', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }], failures: [] });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date() } });
    await instantiateBuild(t.store, 'demo', 'web', { message: 'test' });
    const event = await newRecords();
    // The build also counts against the project's quota counter, and its label gets its lookup
    // (items of their own, which no reconciler watches).
    expect(event.Records.map((r) => [r.eventName, r.dynamodb?.Keys?.sk?.S])).toEqual([
      ['MODIFY', 'BuildConfig#web'], ['INSERT', 'Build#web-1'], ['INSERT', `~L|Build|${BUILDCONFIG_LABEL}=web|web-1`], ['INSERT', 'usage'],
    ]);

    expect(await stream(event)).toEqual({ batchItemFailures: [] });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([{
      RoleArn: SCOPE_ROLE, RoleSessionName: 'build-demo-web-1', DurationSeconds: 3600,
      Tags: [{ Key: 'berth-project', Value: 'demo' }, { Key: 'berth-build', Value: 'web-1' }],
    }]);
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input)).toEqual([{
      cluster: 'berth-cluster',
      taskDefinition: 'berth-builder',
      count: 1,
      capacityProviderStrategy: [{ capacityProvider: 'berth-build-hosts', weight: 1 }],
      startedBy: 'demo/web-1',
      overrides: { containerOverrides: [{ name: 'builder', environment: [
        { name: 'BUILD_PROJECT', value: 'demo' }, { name: 'BUILD_NAME', value: 'web-1' },
        { name: 'AWS_ACCESS_KEY_ID', value: 'ASIAEXAMPLE' }, { name: 'AWS_SECRET_ACCESS_KEY', value: 'secret' }, { name: 'AWS_SESSION_TOKEN', value: 'token' },
      ] }] },
      tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'demo' }, { key: 'berth:build', value: 'web-1' }],
    }]);
    expect((await get('web-1')).status).toMatchObject({ phase: 'Pending', agent: TASK });
  });

  it('resync marks a build whose builder task has stopped as Error, asking ECS about that task only', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', stoppedReason: 'Essential container in task exited' }], failures: [] });
    cloudMap.on(ListNamespacesCommand).resolves({ Namespaces: [] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: 'Berth-Fleet-TenantHostsAsg-0A1B2C3D4E5F', MinSize: 1, MaxSize: 10, DesiredCapacity: 1, DefaultCooldown: 300, AvailabilityZones: ['eu-west-1a'], HealthCheckType: 'EC2', CreatedTime: new Date('2026-11-30T12:00:00Z'), Instances: [] }] });
    // No pods wait and no host has registered: the autoscaler only reads its group.
    // A scheduled event as EventBridge delivers it (Amazon EventBridge User Guide, "Creating a rule
    // that runs on a schedule": detail-type "Scheduled Event"), at a minute off the registry
    // resync's, so that this pass does not also list ECR.
    const scheduled = { version: '0', id: '89d1a02d-5ec7-412e-82f5-13505f849b41', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-12-03T11:46:00Z', region: 'eu-west-1', resources: ['arn:aws:events:eu-west-1:123456789012:rule/berth-resync'], detail: {} };
    expect(await resync(scheduled)).toMatchObject({ failed: 0, autoscaler: { desired: 1, actions: [], tooLarge: [] }, registryMoved: undefined });
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupNames: ['Berth-Fleet-TenantHostsAsg-0A1B2C3D4E5F'] }]);
    expect(asg.calls()).toHaveLength(1);
    expect(cloudMap.commandCalls(ListNamespacesCommand).map((c) => c.args[0].input)).toEqual([{ Filters: [{ Name: 'TYPE', Values: ['DNS_PRIVATE'], Condition: 'EQ' }] }]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'berth-cluster', tasks: [TASK] }]);
    expect((await get('web-1')).status).toMatchObject({ phase: 'Error', reason: 'BuilderLost' });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });

  it('resync handles a Service\'s proxy task state change by reconciling that Service at once: a proxy whose Service has gone is stopped', async () => {
    // An "ECS Task State Change" event (ECS Developer Guide, "Amazon ECS task state change events") of the proxy of
    // demo/db, a Service no longer in the table; ECS still lists its task (ECS API Reference: ListTasks, DescribeTasks, StopTask).
    const proxyTask = 'arn:aws:ecs:eu-west-1:123456789012:task/berth-cluster/7a6b5c4d3e2f10009a8b7c6d5e4f3a2b';
    const tags = [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'demo' }, { key: 'berth:service', value: 'db' }, { key: 'berth:content-hash', value: '0f' }];
    ecs.on(ListTasksCommand).resolves({ taskArns: [proxyTask] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: proxyTask, startedBy: proxyToken('demo', 'db'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING', tags }], failures: [] });
    ecs.on(StopTaskCommand).resolves({ task: { taskArn: proxyTask, desiredStatus: 'STOPPED' } });
    cloudMap.on(ListNamespacesCommand).resolves({ Namespaces: [] });
    ecs.resetHistory();
    const event = {
      version: '0', id: '3317b2af-7005-947d-b652-f55e762e571a', 'detail-type': 'ECS Task State Change', source: 'aws.ecs', account: '123456789012', time: '2026-12-03T14:40:00Z', region: 'eu-west-1', resources: [proxyTask],
      detail: {
        clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/berth-cluster', containerInstanceArn: 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-cluster/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c',
        group: 'berth-proxy:demo/db', startedBy: proxyToken('demo', 'db'), launchType: 'EC2', taskArn: proxyTask, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', version: 2,
      },
    };
    expect(await resync(event as never)).toEqual({ service: 'demo/db' });
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'berth-cluster', startedBy: proxyToken('demo', 'db'), desiredStatus: 'RUNNING' }]);
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'berth-cluster', task: proxyTask, reason: 'Berth: the Service was deleted or its proxy replaced' }]);
  });

  it('deletes a deleted Build\'s log items from the table and its uploaded source from S3', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    const logs = new DynamoBuildLogs({ client: t.client, tableName: t.tableName });
    await logs.append(ref('web-1'), 'Receiving source from the uploaded archive ...\n');
    await t.store.delete(ref('web-1'));
    const event = await newRecords();
    // Label lookups (sort keys from "~") go with the Build; their records reach no reconciler.
    const records = event.Records.filter((r) => !r.dynamodb?.Keys?.sk?.S?.startsWith('~'));
    expect(records.length).toBeLessThan(event.Records.length);
    const pks = records.map((r) => r.dynamodb?.Keys?.pk?.S);
    expect(pks).toContain('L#demo/web-1');
    expect(records.at(-1)).toMatchObject({ eventName: 'REMOVE', dynamodb: { Keys: { sk: { S: 'Build#web-1' } } } });
    // The log items' own records reach no reconciler; the Build's records (its status changes
    // since, and the REMOVE) are one object of the batch, reconciled once: it finds the Build
    // gone and cleans up.
    expect(pks.filter((pk) => pk === 'P#demo').length).toBeGreaterThan(1);
    expect(await stream(event)).toEqual({ batchItemFailures: [] });
    const deletes = s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input);
    expect(deletes.length).toBe(1);
    expect(new Set(deletes.map((d) => JSON.stringify(d)))).toEqual(new Set([JSON.stringify({ Bucket: BUCKET, Key: 'sources/demo/web-1.tar' })]));
    expect(await logs.read(ref('web-1'), 0)).toEqual({ text: '', next: 0, more: false });
  });

  it('deletes a deleted ImageStream\'s ECR repository, after checking Berth made it for this project', async () => {
    const repo = 'berth/demo/web';
    const arn = `arn:aws:ecr:eu-west-1:123456789012:repository/${repo}`;
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: repo, repositoryArn: arn }] });
    ecr.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'demo' }] });
    ecr.on(DeleteRepositoryCommand).resolves({});
    await t.store.create({ kind: 'ImageStream', metadata: { name: 'web', project: 'demo' }, spec: { tags: [] } });
    await t.store.delete({ kind: 'ImageStream', project: 'demo', name: 'web' });
    const event = await newRecords();
    // (The log items the previous test deleted have their REMOVE records here too.)
    const objects = event.Records.filter((r) => r.dynamodb?.Keys?.pk?.S === 'P#demo');
    expect(objects.map((r) => [r.eventName, r.dynamodb?.Keys?.sk?.S])).toEqual([['INSERT', 'ImageStream#web'], ['REMOVE', 'ImageStream#web']]);
    expect(await stream(event)).toEqual({ batchItemFailures: [] });
    const inputs = <C extends Parameters<typeof ecr.commandCalls>[0]>(c: C) => ecr.commandCalls(c).map((call) => call.args[0].input);
    // Both records are one object of the batch, reconciled once: it finds the stream gone.
    expect(new Set(inputs(DescribeRepositoriesCommand).map((i) => JSON.stringify(i)))).toEqual(new Set([JSON.stringify({ repositoryNames: [repo] })]));
    expect(new Set(inputs(ListTagsForResourceCommand).map((i) => JSON.stringify(i)))).toEqual(new Set([JSON.stringify({ resourceArn: arn })]));
    expect(inputs(DeleteRepositoryCommand)).toEqual([{ repositoryName: repo, force: true }]);
  });
});

describe('stream function and push connections', () => {
  it('tells a connection watching a build\'s log that it grew: one PostToConnection, beside the reconciles', async () => {
    await new Identity(t.store).bootstrapAdmin('stream-admin-pw');
    const subscriptions = new DynamoPushSubscriptions({ client: t.client, tableName: t.tableName });
    await subscriptions.connect('c-log', 'admin');
    expect(await subscriptions.subscribe('c-log', 'admin', { project: 'demo', topic: 'builds/web-9/log' })).toBe(true);
    await stream(await newRecords());
    management.reset();
    management.on(PostToConnectionCommand).resolves({});
    await new DynamoBuildLogs({ client: t.client, tableName: t.tableName }).append(ref('web-9'), 'Collecting flask\n');
    expect(await stream(await newRecords())).toEqual({ batchItemFailures: [] });
    expect(management.commandCalls(PostToConnectionCommand).map((c) => c.args[0].input)).toEqual([changed('c-log', '/api/v1/projects/demo/builds/web-9/log', { offset: 0, text: 'Collecting flask\n' })]);
  });
});
