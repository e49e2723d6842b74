// Attack, on AWS: a stranger's pod tries to reach another project's pods. Each project's pods
// are awsvpc tasks with the project's own security group; that group lets in only its own
// members (any port) and the routers' peer group (pod ports), so the stranger's pod — in another
// group — is not let in, and neither is anything else in the VPC. Proved on the exact requests:
// the ECS ones through aws-sdk-client-mock (RegisterTaskDefinition, StartTask:
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StartTask.html, awsvpc:
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html), the
// EC2 ones on a recording client of the same shape (CreateSecurityGroup,
// AuthorizeSecurityGroupIngress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html),
// whose rules are then evaluated as security groups evaluate them (stateful, allow-only: a
// packet is let in when some rule names its protocol, port and a group its sender is in:
// https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html). And on the
// synthesised template: trunking, the routers' peer group, metadata blocked for pods, and the
// control plane's permissions to make project groups.
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ecsFleetSync } from '../../functions/wire-builds.ts';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import type { Host, Pod } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable } from '../support/dynamo.ts';
import { EcsPodContainers } from '../../shared/aws/ecs-pods.ts';
import { ProjectSecurityGroups, type Ec2SecurityGroupsClient } from '../../shared/aws/project-security-groups.ts';
import { endpointsOf } from '../../shared/deploy/endpoints.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { resourcesOf, statements, synthBerth, text, type Synthesised } from '../infra/synth.ts';

const VPC = 'vpc-0b1e2a3c4d5e6f708';
const ROUTERS = 'sg-0r0u0t0e0r0s0000a';
const SUBNETS = ['subnet-0aaa', 'subnet-0bbb'];
const INSTANCE = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/berth-fleet/5c1e0a7d2b3f4e6a8b9c0d1e2f3a4b5c';
const ecs = mockClient(ECSClient);
const inputs = (command: Parameters<typeof ecs.commandCalls>[0]) => ecs.commandCalls(command).map((c) => c.args[0].input);

/** An EC2 of security groups only, recording every request and keeping groups and rules as EC2 would. */
class RecordingEc2 implements Ec2SecurityGroupsClient {
  calls: [string, unknown][] = [];
  groups = new Map<string, { tags: Record<string, string>; ingress: { IpProtocol: string; FromPort?: number; ToPort?: number; UserIdGroupPairs: { GroupId?: string }[] }[] }>();
  private next = 1;
  inUse = new Set<string>();
  async describeSecurityGroups(input: Parameters<Ec2SecurityGroupsClient['describeSecurityGroups']>[0]) {
    this.calls.push(['DescribeSecurityGroups', input]);
    const want = input.Filters.filter((f) => f.Name.startsWith('tag:')).map((f) => [f.Name.slice(4), f.Values[0]] as const);
    const found = [...this.groups].filter(([, g]) => want.every(([k, v]) => g.tags[k] === v));
    return { SecurityGroups: found.map(([id, g]) => ({ GroupId: id, Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })) })) };
  }
  async createSecurityGroup(input: Parameters<Ec2SecurityGroupsClient['createSecurityGroup']>[0]) {
    this.calls.push(['CreateSecurityGroup', input]);
    const id = `sg-${String(this.next++).padStart(17, '0')}`;
    this.groups.set(id, { tags: Object.fromEntries(input.TagSpecifications[0]!.Tags.map((t) => [t.Key, t.Value])), ingress: [] });
    return { GroupId: id };
  }
  async authorizeSecurityGroupIngress(input: Parameters<Ec2SecurityGroupsClient['authorizeSecurityGroupIngress']>[0]) {
    this.calls.push(['AuthorizeSecurityGroupIngress', input]);
    this.groups.get(input.GroupId)!.ingress.push(...input.IpPermissions);
    return {};
  }
  async deleteSecurityGroup(input: { GroupId: string }) {
    this.calls.push(['DeleteSecurityGroup', input]);
    if (this.inUse.has(input.GroupId)) throw Object.assign(new Error('in use'), { name: 'DependencyViolation' });
    this.groups.delete(input.GroupId);
    return {};
  }
  /** Whether a TCP connection from an interface in `fromGroups` to one in `toGroup` on `port` is let in. */
  letsIn(toGroup: string, fromGroups: string[], port: number): boolean {
    return (this.groups.get(toGroup)?.ingress ?? []).some(
      (r) => (r.IpProtocol === '-1' || (r.IpProtocol === 'tcp' && port >= r.FromPort! && port <= r.ToPort!)) && r.UserIdGroupPairs.some((p) => fromGroups.includes(p.GroupId!)),
    );
  }
}

const spec = (project: string, pod: string): PodSpecForHost => ({
  project,
  deployment: 'web',
  revision: 1,
  pod,
  image: `registry.example/berth/${project}/web@sha256:abc`,
  env: [],
  ports: [{ containerPort: 8080 }],
  resources: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
  uid: 1_000_120_000,
});

let ec2: RecordingEc2;
let pods: EcsPodContainers;
const started: Record<string, string> = {};

beforeEach(() => {
  ecs.reset();
  ec2 = new RecordingEc2();
  const groups = new ProjectSecurityGroups({ ec2, vpcId: VPC, routersGroupId: ROUTERS });
  pods = new EcsPodContainers({
    client: new ECSClient({ region: 'eu-west-1' }),
    cluster: 'berth-fleet',
    containerInstanceArn: INSTANCE,
    address: '10.0.3.17',
    region: 'eu-west-1',
    network: { subnets: SUBNETS, securityGroupOf: (p) => groups.securityGroupOf(p) },
  });
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(DescribeTaskDefinitionCommand).rejects(Object.assign(new Error('none'), { name: 'ClientException' }));
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => ({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1` } }));
  ecs.on(StartTaskCommand).callsFake((input) => {
    started[input.startedBy] = input.networkConfiguration?.awsvpcConfiguration?.securityGroups?.[0] ?? '';
    return { tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/${input.startedBy}`, lastStatus: 'PROVISIONING', containers: [{ image: 'x' }] }] };
  });
});

async function startAll() {
  await pods.ensurePod(spec('victim', 'web-1-aaaaa'));
  await pods.ensurePod(spec('victim', 'web-1-bbbbb'));
  await pods.ensurePod(spec('stranger', 'web-1-ccccc'));
  const sg = inputs(StartTaskCommand).map((i) => i.networkConfiguration!.awsvpcConfiguration!.securityGroups![0]!);
  return { victimA: sg[0]!, victimB: sg[1]!, stranger: sg[2]! };
}

describe('pods on AWS, each project on its own network', () => {
  it("a stranger's pod is not let in to the victim's pods; the victim's own pods and the routers are", async () => {
    const g = await startAll();
    expect(g.victimA).toBe(g.victimB);
    expect(g.stranger).not.toBe(g.victimA);
    expect(ec2.letsIn(g.victimA, [g.stranger], 8080)).toBe(false);
    expect(ec2.letsIn(g.stranger, [g.victimA], 8080)).toBe(false);
    expect(ec2.letsIn(g.victimA, [g.victimB], 8080)).toBe(true);
    expect(ec2.letsIn(g.victimA, [ROUTERS], 8080)).toBe(true);
    // Nothing else in the VPC (a build host, a tenant host's own interface) is let in.
    expect(ec2.letsIn(g.victimA, ['sg-0build0hosts00000', 'sg-0tenant0hosts0000'], 8080)).toBe(false);
  });

  it('makes one group per project, with exactly these rules and no address ranges', async () => {
    await startAll();
    expect(ec2.calls.filter(([name]) => name !== 'DescribeSecurityGroups')).toEqual([
      ['CreateSecurityGroup', {
        GroupName: 'berth-pod-victim',
        Description: "Berth pods of project victim: reached by the project's own pods and the routers only",
        VpcId: VPC,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'victim' }, { Key: 'berth:network', Value: 'project' }] }],
      }],
      ['AuthorizeSecurityGroupIngress', {
        GroupId: 'sg-00000000000000001',
        IpPermissions: [
          { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-00000000000000001', Description: 'pods of the same project' }] },
          { IpProtocol: 'tcp', FromPort: 1024, ToPort: 65535, UserIdGroupPairs: [{ GroupId: ROUTERS, Description: 'Berth routers' }] },
        ],
      }],
      ['CreateSecurityGroup', expect.objectContaining({ GroupName: 'berth-pod-stranger', VpcId: VPC })],
      ['AuthorizeSecurityGroupIngress', expect.objectContaining({ GroupId: 'sg-00000000000000002' })],
    ]);
    expect(JSON.stringify(ec2.calls)).not.toMatch(/CidrIp|IpRanges|PrefixList/);
  });

  it('runs each pod as an awsvpc task in the tenant subnets, with no public address and no published host port', async () => {
    await startAll();
    const td = inputs(RegisterTaskDefinitionCommand)[0]!;
    expect(td.networkMode).toBe('awsvpc');
    expect(td.containerDefinitions![0]!.portMappings).toEqual([{ containerPort: 8080, protocol: 'tcp' }]);
    const start = inputs(StartTaskCommand)[0]!;
    expect(start.networkConfiguration).toEqual({ awsvpcConfiguration: { subnets: SUBNETS, securityGroups: ['sg-00000000000000001'], assignPublicIp: 'DISABLED' } });
    expect(start.containerInstances).toEqual([INSTANCE]);
    expect(start.tags).toEqual(expect.arrayContaining([{ key: 'berth:ports', value: '8080' }]));
  });

  it("a pod's endpoint is its own interface's address and container port", async () => {
    const task: Task = {
      taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/berth-fleet/abc',
      containerInstanceArn: INSTANCE,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedBy: 'berth-pod-x',
      attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'subnetId', value: 'subnet-0aaa' }, { name: 'privateIPv4Address', value: '10.0.3.201' }] }],
      containers: [{ image: 'x', networkBindings: [] }],
      tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'victim' }, { key: 'berth:pod', value: 'web-1-aaaaa' }, { key: 'berth:ports', value: '8080' }],
    };
    ecs.on(ListTasksCommand).resolves({ taskArns: [task.taskArn!] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task] });
    const [listed] = await pods.listPods();
    expect(listed).toMatchObject({ podIP: '10.0.3.201', hostPorts: [{ containerPort: 8080, hostIp: '10.0.3.201', hostPort: 8080 }] });
    const svc = { kind: 'Service', metadata: { name: 'web', project: 'victim' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
    const pod = {
      kind: 'Pod',
      metadata: { name: 'web-1-aaaaa', project: 'victim', labels: { app: 'web' } },
      spec: { host: 'ecs-host-1' },
      status: { phase: 'Running', hostIP: '10.0.3.17', podIP: '10.0.3.201', ports: [{ containerPort: 8080, hostIP: '10.0.3.201', hostPort: 8080 }], conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(endpointsOf(svc as never, [pod as never])).toEqual([{ pod: 'web-1-aaaaa', host: 'ecs-host-1', ip: '10.0.3.201', ports: [{ port: 80, hostPort: 8080, targetPort: 8080 }] }]);
  });

  it("a project's group goes once it has no pods; one still in use by an interface stays for the next time", async () => {
    const g = await startAll();
    const groups = new ProjectSecurityGroups({ ec2, vpcId: VPC, routersGroupId: ROUTERS });
    ec2.inUse.add(g.stranger);
    expect(await groups.prune(new Set(['victim']))).toEqual([]);
    ec2.inUse.clear();
    expect(await groups.prune(new Set(['victim']))).toEqual(['stranger']);
    expect([...ec2.groups.keys()]).toEqual([g.victimA]);
  });
});

describe("the resync function's fleet pass, given an EC2 client", () => {
  it("starts a bound pod on its project's network, and removes the group of a project left without pods", async () => {
    const t = await freshTable();
    await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
    const env = {
      AWS_REGION: 'eu-west-1', TABLE_NAME: t.tableName, DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), BERTH_CLUSTER: 'berth-fleet',
      BERTH_VPC_ID: VPC, BERTH_POD_SUBNETS: SUBNETS.join(','), BERTH_ROUTERS_SECURITY_GROUP: ROUTERS,
    };
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [INSTANCE] });
    ecs.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [{
        containerInstanceArn: INSTANCE, agentConnected: true, status: 'ACTIVE',
        attributes: [{ name: 'berth.role', value: 'tenant' }, { name: 'berth.address', value: '10.0.3.17' }],
        registeredResources: [{ name: 'CPU', integerValue: 2048 }, { name: 'MEMORY', integerValue: 4096 }],
      }],
    });
    // A group left by a project that has no pods any more.
    const leftover = (await ec2.createSecurityGroup({ GroupName: 'berth-pod-gone', Description: '', VpcId: VPC, TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'gone' }, { Key: 'berth:network', Value: 'project' }] }] })).GroupId!;
    const sync = ecsFleetSync({ store: t.store }, env, ec2);
    await sync();
    const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: hostNameOf(INSTANCE) }))!;
    const pod = await t.store.create<Pod>({
      kind: 'Pod',
      metadata: { name: 'web-1-abcde', project: 'shop', labels: { deploymentconfig: 'web', deployment: 'web-1' } },
      spec: { containers: [{ name: 'web', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:1', env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: {}, limits: {} } }], restartPolicy: 'Always', terminationGracePeriodSeconds: 10 },
      status: { phase: 'Pending', conditions: [], restartCount: 0 },
    });
    await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod, host, request: podRequest(pod) });
    await sync();
    const [start] = inputs(StartTaskCommand);
    const shopGroup = [...ec2.groups].find(([, g]) => g.tags['berth:project'] === 'shop')![0];
    expect(start!.networkConfiguration).toEqual({ awsvpcConfiguration: { subnets: SUBNETS, securityGroups: [shopGroup], assignPublicIp: 'DISABLED' } });
    expect(inputs(RegisterTaskDefinitionCommand)[0]!.networkMode).toBe('awsvpc');
    expect(ec2.groups.has(leftover)).toBe(false);
    expect(ec2.groups.has(shopGroup)).toBe(true);
    t.client.destroy();
  });
});

describe('the infrastructure under project networks', () => {
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthBerth();
  });

  it('turns ENI trunking on before tenant hosts register, and blocks instance metadata for awsvpc pods', () => {
    const fleet = synth.templates.fleet.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }> };
    const [trunkId, trunk] = Object.entries(fleet.Resources).find(([, r]) => r.Type === 'Custom::AWS')!;
    expect(text(trunk.Properties.Create ?? trunk.Properties.Update)).toContain('"action":"PutAccountSettingDefault","parameters":{"name":"awsvpcTrunking","value":"enabled"}');
    const [, tenantAsg] = Object.entries(fleet.Resources).find(([id, r]) => r.Type === 'AWS::AutoScaling::AutoScalingGroup' && id.startsWith('TenantHosts'))!;
    expect(tenantAsg.DependsOn).toEqual(expect.arrayContaining([trunkId]));
    const tenantUserData = resourcesOf(synth.templates.fleet, 'AWS::EC2::LaunchTemplate').map(([id, p]) => [id, text((p.LaunchTemplateData as { UserData: unknown }).UserData)]).find(([id]) => id!.startsWith('TenantHosts'))![1]!;
    expect(tenantUserData).toContain('ECS_AWSVPC_BLOCK_IMDS=true');
  });

  it('gives the routers the peer group that project groups let in, a group with no rules of its own', () => {
    const peers = resourcesOf(synth.templates.fleet, 'AWS::EC2::SecurityGroup').find(([id]) => id.includes('RouterPeers'))!;
    expect(peers[1].SecurityGroupIngress).toBeUndefined();
    const routerTemplate = resourcesOf(synth.templates.router, 'AWS::EC2::LaunchTemplate')[0]![1].LaunchTemplateData as { SecurityGroupIds: unknown[] };
    expect(routerTemplate.SecurityGroupIds.map(text)).toEqual([expect.stringContaining('HostSecurityGroup'), expect.stringContaining('RouterPeers')]);
  });

  it('lets the control plane make project groups only with Berth\'s tags, and change or delete only those, in its VPC', () => {
    const ec2Allows = statements(synth.templates).filter((s) => s.stack === 'controlPlane' && s.effect === 'Allow' && s.actions.some((a) => a.startsWith('ec2:')) && s.holder.startsWith('Resync'));
    const by = (action: string) => ec2Allows.filter((s) => s.actions.includes(action));
    expect(by('ec2:CreateSecurityGroup').map((s) => [s.resources, s.condition])).toEqual([
      [[expect.stringMatching(/:vpc\/<import:.*Vpc/)], undefined],
      [[expect.stringMatching(/:security-group\/\*$/)], {
        StringEquals: { 'aws:RequestTag/berth:managed': 'true', 'aws:RequestTag/berth:network': 'project' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['berth:managed', 'berth:project', 'berth:network'] },
      }],
    ]);
    expect(by('ec2:CreateTags').map((s) => s.condition)).toEqual([{ StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } }]);
    for (const action of ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup']) {
      const [s] = by(action);
      expect(s!.condition?.StringEquals).toMatchObject({ 'aws:ResourceTag/berth:managed': 'true', 'aws:ResourceTag/berth:network': 'project' });
    }
    expect(ec2Allows.flatMap((s) => s.actions).filter((a) => a.startsWith('ec2:') && !/^ec2:(CreateSecurityGroup|CreateTags|AuthorizeSecurityGroupIngress|DeleteSecurityGroup|DescribeSecurityGroups)$/.test(a))).toEqual([]);
  });
});
