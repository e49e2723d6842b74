// Least privilege, proved on the synthesised templates: every IAM statement that allows
// something names its resources, and the only "*" left are the ones AWS itself requires,
// each named here with why.
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, STACK_NAMES, statements, synthBerth, text, type Statement, type Synthesised } from './synth.ts';

/** Actions allowed on Resource "*", and why AWS leaves no choice. */
const STAR_RESOURCE_ALLOWED: Record<string, string> = {
  'xray:PutTraceSegments': 'X-Ray has no resource-level permissions (function tracing)',
  'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions (function tracing)',
  'ecr:GetAuthorizationToken': 'the registry login token is account-wide; pulls and pushes are scoped separately',
  'ecr:DescribeRepositories': 'listing the registry (no names) is authorised against "*": the control plane finds a deleted project\'s repositories and the resync compares them with image streams; every change stays under berth/',
  'sts:GetServiceBearerToken': 'STS has no resource for it; held to CodeArtifact by the sts:AWSServiceName condition (builds\' package index token)',
  'ecs:DiscoverPollEndpoint': 'ECS agent on container hosts; no resource-level permissions',
  'ecs:Poll': 'ECS agent; allowed only with the ecs:cluster condition (checked below)',
  'ecs:StartTelemetrySession': 'ECS agent; allowed only with the ecs:cluster condition (checked below)',
  'ecs:RegisterTaskDefinition': 'pod task definitions; ECS offers no resource-level permissions',
  'ecs:DeregisterTaskDefinition': 'pod task definitions; ECS offers no resource-level permissions',
  'ecs:DescribeTaskDefinition': 'pod task definitions; ECS offers no resource-level permissions',
  'ec2:DescribeSecurityGroups': 'finding project security groups; EC2 Describe* calls have no resource-level permissions',
  'ecs:PutAccountSettingDefault': 'turning ENI trunking on at deployment; allowed only for awsvpcTrunking (checked below)',
  'autoscaling:DescribeAutoScalingGroups': 'the fleet autoscaler reads its group; Auto Scaling Describe* calls have no resource-level permissions',
  'secretsmanager:ListSecrets': 'the project finalizer finds a deleted project\'s pod secrets; ListSecrets has no resource-level permissions',
  ...Object.fromEntries(['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'].map((a) => [a, 'the claims function\'s network interfaces in the VPC, as AWSLambdaVPCAccessExecutionRole gives them (Lambda creates them before any resource ARN exists)'])),
  'ecs:ListTasks': 'listing by startedBy alone is authorised against "*"; allowed only with the ecs:cluster condition (checked below)',
  'servicediscovery:CreatePrivateDnsNamespace': 'Services\' names: Cloud Map\'s namespace creation has no resource type; allowed only with Berth\'s tags (checked below)',
  ...Object.fromEntries(['servicediscovery:GetOperation', 'servicediscovery:ListNamespaces', 'servicediscovery:ListServices', 'servicediscovery:ListTagsForResource'].map((a) => [a, 'following Cloud Map operations and finding Berth\'s namespaces and services (then their tags): reads, with no resource-level permission for the lists'])),
  ...Object.fromEntries(['route53:CreateHostedZone', 'route53:ListHostedZonesByName', 'ec2:DescribeVpcs', 'ec2:DescribeRegions'].map((a) => [a, 'what Cloud Map does for the caller when it makes a private DNS namespace (no resource ARN exists yet); allowed only through an AWS service by aws:ViaAWSService (checked below)'])),
  'ssmmessages:CreateControlChannel': 'pods\' task role and the project roles\' boundary and claim-mounts policy, for ECS Exec\'s agent in the task; Session Manager\'s channels have no resource-level permissions',
  'ssmmessages:CreateDataChannel': 'pods\' task role and the project roles\' boundary and claim-mounts policy, for ECS Exec\'s agent in the task; Session Manager\'s channels have no resource-level permissions',
  'ssmmessages:OpenControlChannel': 'pods\' task role and the project roles\' boundary and claim-mounts policy, for ECS Exec\'s agent in the task; Session Manager\'s channels have no resource-level permissions',
  'ssmmessages:OpenDataChannel': 'pods\' task role and the project roles\' boundary and claim-mounts policy, for ECS Exec\'s agent in the task; Session Manager\'s channels have no resource-level permissions',
};
/** Of those, the ones that must carry a condition key. */
const MUST_BE_CONDITIONED: Record<string, string> = {
  'ecs:Poll': 'ecs:cluster', 'ecs:StartTelemetrySession': 'ecs:cluster', 'ecs:PutAccountSettingDefault': 'ecs:account-setting', 'ecs:ListTasks': 'ecs:cluster',
  'servicediscovery:CreatePrivateDnsNamespace': 'aws:RequestTag/berth:managed',
  ...Object.fromEntries(['route53:CreateHostedZone', 'route53:ListHostedZonesByName', 'ec2:DescribeVpcs', 'ec2:DescribeRegions'].map((a) => [a, 'aws:ViaAWSService'])),
};
/** Wildcards inside action names, and why. */
const ACTION_WILDCARDS_ALLOWED: Record<string, string> = {
  'ecs:Submit*': 'added by aws-ecs for the ECS agent (Submit*StateChange), on the cluster ARN only',
};

let synth: Synthesised;
let all: Statement[];
let allows: Statement[];
let keyPolicies: Statement[];

beforeAll(() => {
  synth = synthBerth();
  all = statements(synth.templates);
  // KMS key policies are checked on their own below: in a key policy "*" means the key itself.
  keyPolicies = all.filter((s) => s.holderType === 'AWS::KMS::Key');
  allows = all.filter((s) => s.effect === 'Allow' && s.holderType !== 'AWS::KMS::Key');
});

const where = (s: Statement) => `${s.stack}/${s.holder}: ${s.actions.join(', ')} on ${s.resources.join(', ')}`;

describe('least privilege', () => {
  it('finds policies to check in every stack that has roles', () => {
    expect(allows.length).toBeGreaterThan(20);
    expect(new Set(allows.map((s) => s.stack))).toEqual(new Set(['base', 'fleet', 'router', 'controlPlane']));
  });

  it('keeps the secrets key policy to AWS\'s default: the account (that is, IAM policies) decides, nobody else', () => {
    // Key policy "*" = this key. kms:* for the account root is AWS's default key policy: it hands
    // the decision to IAM, where the grants are the scoped, conditioned statements checked below.
    expect(keyPolicies.map((s) => [s.effect, s.actions, s.resources, text((s.raw.Principal as { AWS: unknown }).AWS)])).toEqual([
      ['Allow', ['kms:*'], ['*'], 'arn:<AWS::Partition>:iam::<AWS::AccountId>:root'],
    ]);
  });

  it('lets principals use the secrets key only to make or open data keys, only in Berth\'s encryption context', () => {
    const kms = allows.filter((s) => s.actions.some((a) => a.startsWith('kms:')));
    expect(new Set(kms.map((s) => s.holder.replace(/DefaultPolicy\w+$/, '')))).toEqual(new Set(['ApiFunctionRole', 'WebhooksFunctionRole', 'StreamFunctionRole', 'ResyncFunctionRole', 'BuildScopeRole']));
    for (const s of kms) {
      expect(s.actions.every((a) => a === 'kms:GenerateDataKey' || a === 'kms:Decrypt'), where(s)).toBe(true);
      expect(s.condition?.StringEquals?.['kms:EncryptionContext:berth:purpose'], where(s)).toBe('secrets');
      expect(s.resources.every((r) => /SecretsKey/.test(r)), where(s)).toBe(true);
    }
    expect(kms.find((s) => s.holder.startsWith('BuildScopeRole'))!.actions).toEqual(['kms:Decrypt']);
  });

  it('allows no action "*" or "service:*", and no action wildcard except the named ones', () => {
    const bad = allows.flatMap((s) => s.actions.filter((a) => a.includes('*') && !(a in ACTION_WILDCARDS_ALLOWED)).map((a) => `${a} in ${where(s)}`));
    expect(bad).toEqual([]);
  });

  it('allows Resource "*" only for the named actions AWS requires it for', () => {
    const bad = allows.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions.filter((a) => !(a in STAR_RESOURCE_ALLOWED)).map((a) => `${a} in ${where(s)}`));
    expect(bad).toEqual([]);
  });

  it('holds ecs:Poll, ecs:StartTelemetrySession and ecs:ListTasks to Berth\'s cluster by condition', () => {
    const star = allows.filter((s) => s.resources.includes('*') && s.actions.some((a) => a in MUST_BE_CONDITIONED));
    expect(star.length).toBeGreaterThan(0);
    for (const s of star) {
      for (const a of s.actions.filter((x) => x in MUST_BE_CONDITIONED)) {
        expect(Object.values(s.condition ?? {}).some((c) => MUST_BE_CONDITIONED[a]! in c), where(s)).toBe(true);
      }
    }
  });

  it('uses no NotAction or NotResource in any allow', () => {
    expect(allows.filter((s) => 'NotAction' in s.raw || 'NotResource' in s.raw).map(where)).toEqual([]);
  });

  it('gives the ecs:Submit* wildcard only on the cluster', () => {
    const submit = allows.filter((s) => s.actions.includes('ecs:Submit*'));
    expect(submit.length).toBe(2); // tenant and build hosts
    for (const s of submit) expect(s.resources).toEqual([expect.stringMatching(/^<Cluster[0-9A-F]{8}\.Arn>$/)]);
  });

  it('attaches no managed policies: every permission is written out in the templates', () => {
    for (const name of STACK_NAMES) {
      for (const [id, props] of resourcesOf(synth.templates[name], 'AWS::IAM::Role')) {
        expect(props.ManagedPolicyArns, `${name}/${id}`).toBeUndefined();
      }
    }
    // The one managed policy is the project roles' permissions boundary: a ceiling, attached to
    // no role, group or user of the stacks (the control plane sets it on the roles it makes).
    const managed = STACK_NAMES.flatMap((name) => resourcesOf(synth.templates[name], 'AWS::IAM::ManagedPolicy').map(([id, props]) => [name, id, props] as const));
    // The others are written out in the template for the reconciler functions, whose inline
    // policies are near IAM's size limit: the Cloud Map policy they share, attached to those two
    // roles only, and the right to post to push connections, attached to the stream function's alone.
    expect(managed.map(([name, id]) => [name, id.replace(/[0-9A-F]{8}$/, '')])).toEqual([['fleet', 'ProjectRolesBoundary'], ['controlPlane', 'PushPostPolicy'], ['controlPlane', 'ServiceDiscoveryPolicy']]);
    expect(managed[0]![2]).not.toHaveProperty('Roles');
    expect(managed[0]![2]).not.toHaveProperty('Users');
    expect(managed[0]![2]).not.toHaveProperty('Groups');
    expect(text(managed[1]![2].Roles)).toMatch(/^\[?<?StreamFunctionRole[0-9A-F]{8}>?\]?$/);
    expect(text(managed[2]![2].Roles)).toMatch(/^\[?<?StreamFunctionRole[0-9A-F]{8}>?,\s*<?ResyncFunctionRole[0-9A-F]{8}>?\]?$/);
  });

  it('keeps every ECR permission inside repositories under berth/ (apart from the login token and listing the registry)', () => {
    const listing = allows.filter((s) => s.raw.Sid === 'ListRepositories');
    for (const s of listing) expect(s.actions, where(s)).toEqual(['ecr:DescribeRepositories']);
    const ecr = allows.filter((s) => s.raw.Sid !== 'ListRepositories' && s.actions.some((a) => a.startsWith('ecr:') && a !== 'ecr:GetAuthorizationToken'));
    expect(ecr.length).toBeGreaterThan(0);
    // berth/* itself, one of the platform repositories (berth/builder, berth/s2i/…) made in the
    // fleet stack, or (a build's scope) its own project's berth/<project>/* and the shared
    // berth/s2i/* and berth/openshift/*,
    // or a project role's boundary: the role's own project (its berth:project tag) and the shared images
    // (berth/service-proxy, the Services' proxies' image, which each project's role pulls).
    for (const s of ecr) for (const r of s.resources) expect(r, where(s)).toMatch(/:repository\/berth\/((\$\{aws:PrincipalTag\/(berth-project|berth:project)\}\/|s2i\/|openshift\/)?\*|service-proxy)$|^<Registry(Builder|S2i)\w+\.Arn>$/);
  });

  it('never lets the control plane or a build overwrite or delete the platform\'s own images', () => {
    // A build's scope may push only under berth/<its project>/ and pull berth/s2i/* (builder-iam.test.ts).
    const scopePush = allows.filter((s) => s.holder.startsWith('BuildScopeRole') && s.actions.includes('ecr:PutImage'));
    for (const s of scopePush) expect(s.resources, where(s)).toEqual([expect.stringMatching(/:repository\/berth\/\$\{aws:PrincipalTag\/berth-project\}\/\*$/)]);
    const denies = all.filter((s) => s.effect === 'Deny' && s.raw.Sid === 'ProtectPlatformRepositories');
    const holders = new Set(denies.map((s) => s.holder));
    expect([...holders].some((h) => h.startsWith('StreamFunctionRole'))).toBe(true);
    expect([...holders].some((h) => h.startsWith('ResyncFunctionRole'))).toBe(true);
    for (const s of denies) {
      expect(s.actions).toEqual(expect.arrayContaining(['ecr:DeleteRepository', 'ecr:PutImage', 'ecr:BatchDeleteImage']));
      expect(s.resources.every((r) => /<import:|Builder|S2i/.test(r)), where(s)).toBe(true);
    }
  });

  it('lets container hosts write to no log group (containers log with their own execution roles)', () => {
    const hostLogs = allows.filter((s) => /HostsInstanceRole/.test(s.holder) && s.actions.some((a) => a.startsWith('logs:')));
    expect(hostLogs.map(where)).toEqual([]);
  });

  it('lets functions write only their own log group', () => {
    const logs = allows.filter((s) => s.stack === 'controlPlane' && s.actions.includes('logs:PutLogEvents'));
    expect(logs.length).toBe(synth.berth.controlPlane.functions.size);
    for (const s of logs) expect(s.resources.every((r) => /^<\w+FunctionLogs[0-9A-F]{8}\.Arn>$/.test(r)), where(s)).toBe(true);
  });
});

describe('what the control plane may do in ECS', () => {
  const ecsAllows = (action: string) => allows.filter((s) => s.stack === 'controlPlane' && s.actions.includes(action));

  it('runs only the builder\'s, the imports\' and the Services\' proxies\' task definition families, only in Berth\'s cluster', () => {
    const run = ecsAllows('ecs:RunTask');
    expect(run.length).toBeGreaterThan(0);
    expect(run.some((s) => /berth-proxy-\*:\*$/.test(s.resources.join()))).toBe(true);
    // The import family is the API's alone; the reconcilers run builds and proxies.
    for (const s of run.filter((x) => /berth-import:/.test(x.resources.join()))) expect(s.holder, where(s)).toMatch(/^ApiFunctionRole/);
    for (const s of run) {
      expect(s.resources).toEqual([expect.stringMatching(/:task-definition\/(berth-builder:\*|berth-import:\*|berth-proxy-\*:\*)$/)]);
      expect(text(s.condition?.ArnEquals?.['ecs:cluster'])).toMatch(/Cluster/);
    }
  });

  it('starts only pod families on chosen hosts, so the builder (with the Docker socket) never lands on a tenant host', () => {
    for (const s of ecsAllows('ecs:StartTask')) {
      expect(s.resources).toEqual([expect.stringMatching(/:task-definition\/berth-pod-\*:\*$/)]);
      expect(s.resources.join()).not.toMatch(/berth-builder/);
    }
  });

  it('passes only the builder\'s and the import task\'s roles, the projects\' execution roles and the pods\' task role, and only to ECS tasks', () => {
    const pass = ecsAllows('iam:PassRole');
    expect(pass.length).toBeGreaterThan(0);
    for (const s of pass) {
      expect(s.resources.every((r) => /^<import:.*((Builder|Importer)(TaskRole|TaskDefinitionExecutionRole)|PodTaskRole)|:role\/berth\/projects\/\*$/.test(r)), where(s)).toBe(true);
      expect(s.condition?.StringEquals?.['iam:PassedToService']).toBe('ecs-tasks.amazonaws.com');
    }
    expect(pass.flatMap((s) => s.resources).filter((r) => r.endsWith(':role/berth/projects/*')).length).toBe(2); // stream and resync
  });

  it('makes, changes and deletes roles only under /berth/projects/ and only with the boundary', () => {
    const iam = allows.filter((s) => s.stack === 'controlPlane' && s.actions.some((a) => a.startsWith('iam:') && a !== 'iam:PassRole'));
    expect(new Set(iam.map((s) => s.holder.replace(/DefaultPolicy\w+$/, '')))).toEqual(new Set(['StreamFunctionRole', 'ResyncFunctionRole', 'ClaimsFunctionRole']));
    for (const s of iam) {
      expect(s.resources, where(s)).toEqual([expect.stringMatching(/:role\/berth\/projects\/\*$/)]);
      const writes = s.actions.filter((a) => ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:DeleteRole'].includes(a));
      if (writes.length) expect(text(s.condition?.StringEquals?.['iam:PermissionsBoundary']), where(s)).toMatch(/ProjectRolesBoundary/);
    }
  });

  it('tags task definitions only of pod and proxy families, only as they are registered', () => {
    const tagging = ecsAllows('ecs:TagResource').filter((s) => s.resources.some((r) => r.includes(':task-definition/')));
    expect(tagging.length).toBeGreaterThan(0);
    for (const s of tagging) {
      expect(s.resources).toEqual([expect.stringMatching(/:task-definition\/berth-(pod|proxy)-\*:\*$/)]);
      expect(s.condition?.StringEquals?.['ecs:CreateAction']).toBe('RegisterTaskDefinition');
    }
  });

  it('gives the fleet events function the table and its own logs only: the events carry what it reads', () => {
    // Its identity policies; the role's trust policy (sts:AssumeRole by Lambda) has a Principal.
    const fleetEvents = allows.filter((s) => /^FleetEventsFunctionRole/.test(s.holder) && !('Principal' in s.raw));
    expect(fleetEvents.length).toBeGreaterThan(0);
    const services = new Set(fleetEvents.flatMap((s) => s.actions.map((a) => a.split(':')[0])));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'xray']);
  });

  it('gives the webhooks function no ECS or ECR permissions, and the API only what pod logs, sessions, push logins and imports take: no ECR push or deletion, no task but imports started, none stopped', () => {
    const webhooks = allows.filter((s) => /^WebhooksFunctionRole/.test(s.holder));
    expect(webhooks.flatMap((s) => s.actions).filter((a) => /^(ecs|ecr|iam|ssm|logs:Get)/.test(a))).toEqual([]);
    const api = allows.filter((s) => /^ApiFunctionRole/.test(s.holder));
    expect([...new Set(api.flatMap((s) => s.actions).filter((a) => /^(ecs|ecr|iam|ssm|sts):/.test(a)))].sort()).toEqual([
      // Push logins: the project's repositories made first (no deletion, no push), then the push role assumed.
      'ecr:CreateRepository', 'ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:PutLifecyclePolicy', 'ecr:TagResource',
      'ecs:DescribeTasks', 'ecs:ExecuteCommand', 'ecs:ListTasks',
      // Imports: the import family run (tagged on creation), its roles passed.
      'ecs:RunTask', 'ecs:TagResource', 'iam:PassRole',
      'ssm:StartSession', 'sts:AssumeRole',
    ]);
    expect(api.filter((s) => s.actions.includes('ecs:RunTask')).flatMap((s) => s.resources)).toEqual([expect.stringMatching(/:task-definition\/berth-import:\*$/)]);
    for (const s of api.filter((x) => x.actions.includes('iam:PassRole'))) expect(s.resources.every((r) => /^<import:.*Importer(TaskRole|TaskDefinitionExecutionRole)/.test(r)), where(s)).toBe(true);
    // The one role the API may assume is the registry push role.
    expect(api.filter((s) => s.actions.includes('sts:AssumeRole')).flatMap((s) => s.resources)).toEqual([expect.stringMatching(/^<RegistryPushRole[0-9A-F]{8}\.Arn>$/)]);
    // ExecuteCommand on tasks only with Berth's tag and in Berth's cluster.
    for (const s of api.filter((x) => x.actions.includes('ecs:ExecuteCommand') && x.resources.some((r) => r.includes(':task/')))) {
      expect(s.condition?.StringEquals?.['aws:ResourceTag/berth:managed'], where(s)).toBe('true');
      expect(s.condition?.ArnEquals?.['ecs:cluster'], where(s)).toBeDefined();
    }
  });
});
