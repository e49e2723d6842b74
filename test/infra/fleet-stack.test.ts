// The fleet: one ECS cluster, tenant and build hosts as two EC2 capacity providers, the
// builder task with the Docker socket on build hosts only, and Berth's ECR repositories.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FULL_CONTEXT, resourcesOf, synthBerth, text } from './synth.ts';

let template: Template;
beforeAll(() => {
  template = synthBerth({ 'berth:tenantHostsMax': '6', 'berth:s2iImages': 'python, nodejs' }).templates.fleet;
});

const launchTemplate = (prefix: string) => resourcesOf(template, 'AWS::EC2::LaunchTemplate').find(([id]) => id.startsWith(prefix))![1].LaunchTemplateData as Record<string, unknown>;
const userData = (prefix: string) => text(launchTemplate(prefix).UserData);
const ARM_ECS_AMI = '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id';

describe('ECS cluster and capacity providers', () => {
  it('makes one cluster, Container Insights off unless asked for, and both capacity providers attached', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }] });
    const enhanced = synthBerth({ 'berth:containerInsights': 'enhanced' }).templates.fleet;
    enhanced.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: [{ Ref: Match.stringLikeRegexp('^TenantHostsCapacity') }, { Ref: Match.stringLikeRegexp('^BuildHostsCapacity') }],
    });
  });

  it('scales build hosts from zero with RunTask demand, with managed termination protection', () => {
    // ECS Developer Guide, "Amazon ECS managed scaling behavior" and "Managed termination
    // protection": RunTask with a capacity provider strategy drives the group (builds start with
    // one: test/aws/ecs-launcher.test.ts); a host running a task is not scaled in.
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: {
        AutoScalingGroupArn: { Ref: Match.stringLikeRegexp('^BuildHostsASG') },
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
        ManagedTerminationProtection: 'ENABLED',
        ManagedDraining: 'ENABLED',
      },
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { LaunchTemplate: { LaunchTemplateId: { Ref: Match.stringLikeRegexp('^BuildHostsLaunchTemplate') } }, MinSize: '0', MaxSize: '2' });
  });

  it('leaves tenant hosts to Berth\'s scheduler and autoscaler (no ECS managed scaling), joining protected from scale-in, sized from context', () => {
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: { AutoScalingGroupArn: { Ref: Match.stringLikeRegexp('^TenantHostsASG') }, ManagedScaling: Match.absent(), ManagedTerminationProtection: 'DISABLED' },
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { LaunchTemplate: { LaunchTemplateId: { Ref: Match.stringLikeRegexp('^TenantHostsLaunchTemplate') } }, MinSize: '1', MaxSize: '6', NewInstancesProtectedFromScaleIn: true });
  });

  it.each(['TenantHosts', 'BuildHosts'])('%s: ECS-optimised AL2023 for the instance type\'s CPU, IMDSv2 with one hop, encrypted gp3, in private subnets', (prefix) => {
    const data = launchTemplate(prefix);
    expect(data).toMatchObject({
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3' } }],
    });
    const amiParameter = (data.ImageId as { Ref: string }).Ref;
    expect(template.toJSON().Parameters[amiParameter].Default).toBe(ARM_ECS_AMI);
    expect(userData(prefix)).toMatch(/echo ECS_CLUSTER=<Cluster[0-9A-F]{8}> >> \/etc\/ecs\/ecs.config/);
    expect(userData(prefix)).toContain("echo 'ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE=true' >> /etc/ecs/ecs.config");
  });

  it('marks each host with its role, and forbids privileged containers on tenant hosts', () => {
    expect(userData('TenantHosts')).toContain('echo "ECS_INSTANCE_ATTRIBUTES={\\"berth.role\\":\\"tenant\\",\\"berth.address\\":\\"$ADDRESS\\"}" >> /etc/ecs/ecs.config');
    // The address is the instance's private IPv4 from the metadata service, with an IMDSv2 token.
    expect(userData('TenantHosts')).toContain('ADDRESS=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/local-ipv4)');
    expect(userData('TenantHosts')).toContain('ECS_DISABLE_PRIVILEGED=true');
    expect(userData('BuildHosts')).toContain('ECS_INSTANCE_ATTRIBUTES={\\"berth.role\\":\\"build\\",');
  });

  it('takes the x86_64 ECS image for x86 instance types', () => {
    const t = synthBerth(FULL_CONTEXT).templates.fleet;
    const params = Object.values(t.toJSON().Parameters as Record<string, { Default: string }>).map((p) => p.Default);
    expect(params).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
    expect(params).not.toContain(ARM_ECS_AMI);
  });
});

describe('builder task', () => {
  it('runs the builder agent image from berth/builder, bridge networking, EC2 only', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'berth-builder',
      NetworkMode: 'bridge',
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [Match.objectLike({
        Name: 'builder',
        Image: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^RegistryBuilder') }, ':latest'])] }),
        LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
      })],
    });
  });

  it('logs the agent\'s own lines to an Infrequent Access log group (the build\'s log is in the table), and the pods\' logs stay Standard (read through the API)', () => {
    const groups = Object.fromEntries(resourcesOf(template, 'AWS::Logs::LogGroup').map(([id, p]) => [id, (p.LogGroupClass as string | undefined) ?? 'STANDARD']));
    const [, definition] = resourcesOf(template, 'AWS::ECS::TaskDefinition').find(([, p]) => p.Family === 'berth-builder')!;
    const builderGroup = text((definition.ContainerDefinitions as { LogConfiguration: { Options: Record<string, unknown> } }[])[0]!.LogConfiguration.Options['awslogs-group']);
    const id = Object.keys(groups).find((g) => builderGroup.includes(g));
    expect(id).toMatch(/Builder/);
    expect(groups[id!]).toBe('INFREQUENT_ACCESS');
    const pods = Object.keys(groups).filter((g) => g.startsWith('PodLogs'));
    expect(pods).toHaveLength(1);
    expect(groups[pods[0]!]).toBe('STANDARD');
  });

  it('mounts the Docker socket and may only be placed on build hosts', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'berth-builder',
      Volumes: [{ Name: 'docker-socket', Host: { SourcePath: '/var/run/docker.sock' } }],
      ContainerDefinitions: [Match.objectLike({ MountPoints: [{ SourceVolume: 'docker-socket', ContainerPath: '/var/run/docker.sock', ReadOnly: false }] })],
      PlacementConstraints: [{ Type: 'memberOf', Expression: 'attribute:berth.role == build' }],
    });
  });

  it('is the only task definition that mounts anything from the host', () => {
    const withHostVolumes = resourcesOf(template, 'AWS::ECS::TaskDefinition').filter(([, p]) => (p.Volumes as unknown[] | undefined)?.length);
    expect(withHostVolumes.map(([, p]) => p.Family)).toEqual(['berth-builder']);
  });

  it('tells the agent where the table, the registry and the uploaded sources are', () => {
    const [, props] = resourcesOf(template, 'AWS::ECS::TaskDefinition')[0]!;
    const env = Object.fromEntries(((props.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[] }[])[0]!.Environment).map((e) => [e.Name, text(e.Value)]));
    expect(Object.keys(env).sort()).toEqual(['AWS_REGION', 'BERTH_APPS_DOMAIN', 'BERTH_CODEARTIFACT_DOMAIN', 'BERTH_CODEARTIFACT_DOMAIN_OWNER', 'BERTH_CODEARTIFACT_REPOSITORY', 'BERTH_FETCH_IMAGE', 'BERTH_REGISTRY', 'BERTH_REPOSITORY_PREFIX', 'BERTH_SECRETS_KEY_ARN', 'BERTH_SOURCES_BUCKET', 'TABLE_NAME']);
    expect(env.BERTH_REPOSITORY_PREFIX).toBe('berth');
    expect(env.BERTH_REGISTRY).toMatch(/^<AWS::AccountId>\.dkr\.ecr\.<AWS::Region>\.<AWS::URLSuffix>$/);
  });
});

describe('ECR repositories', () => {
  it('makes berth/builder, one berth/s2i/<name> per S2I image, berth/openshift/<name> per shared image and berth/service-proxy, scanned, with a lifecycle, kept on teardown', () => {
    const names = resourcesOf(template, 'AWS::ECR::Repository').map(([, p]) => p.RepositoryName).sort();
    expect(names).toEqual(['berth/builder', 'berth/openshift/mariadb', 'berth/openshift/postgresql', 'berth/openshift/python', 'berth/openshift/redis', 'berth/s2i/nodejs', 'berth/s2i/python', 'berth/service-proxy']);
    template.allResourcesProperties('AWS::ECR::Repository', {
      ImageScanningConfiguration: { ScanOnPush: true },
      LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('"countNumber":30') },
    });
    for (const r of Object.values(template.findResources('AWS::ECR::Repository'))) expect(r).toMatchObject({ DeletionPolicy: 'Retain' });
  });
});

describe('pods', () => {
  it('bounds every project\'s pod execution role to pulls of its own and the shared images, its own log streams, its own pods\' Secret values and mounts of the claims file system through an access point, and ECS Exec\'s channels', () => {
    const [, boundary] = resourcesOf(template, 'AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith('ProjectRolesBoundary'))!;
    const found = (boundary.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    expect(found.flatMap((s) => [s.Action].flat()).sort()).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer', 'elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']);
    expect(found.map((s) => [s.Resource].flat().map(text).join(' ')).join(' ')).toMatch(/repository\/berth\/\$\{aws:PrincipalTag\/berth:project\}\/\*.*log-stream:\$\{aws:PrincipalTag\/berth:project\}\/\*.*secret:berth\/\$\{aws:PrincipalTag\/berth:project\}\/\*/);
    expect(resourcesOf(template, 'AWS::IAM::Role').filter(([id]) => id.startsWith('PodExecutionRole'))).toEqual([]);
  });

  it('lets nothing reach the tenant hosts from outside the VPC (the only way in is from the routers)', () => {
    const [, sg] = resourcesOf(template, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('TenantHostsSecurityGroup'))!;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    // Separate ingress rules in the stack are the claims file system's (NFS from the claims function), none the hosts'.
    expect(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.GroupId).includes('TenantHostsSecurityGroup'))).toEqual([]);
    expect(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => JSON.stringify(r.GroupId))).toEqual([expect.stringMatching(/ClaimsSecurityGroup/)]);
  });
});
