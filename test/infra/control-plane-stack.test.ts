// The control plane: a PlatformFunction per line of the function table, with triggers,
// grants, alarms and the failure queue; the HTTP API, with and without a custom domain.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionSpec } from '../../infra/functions.ts';
import { POD_FAMILY_PREFIX } from '../../shared/aws/ecs-pod-spec.ts';
import { PROXY_FAMILY_PREFIX } from '../../shared/aws/service-proxy-task.ts';
import { FLEET_ERRORS_METRIC, FLEET_LOOPS, FLEET_METRICS_NAMESPACE, fleetErrorRecord } from '../../shared/fleet/loop-errors.ts';
import { FULL_CONTEXT, resourcesOf, statements, synthBerth, text, type Synthesised } from './synth.ts';

let synth: Synthesised;
let template: Template;
beforeAll(() => {
  synth = synthBerth();
  template = synth.templates.controlPlane;
});

const functionsByDescription = () => Object.fromEntries(resourcesOf(template, 'AWS::Lambda::Function').map(([id, p]) => [p.Description as string, { id, props: p }]));

describe('control-plane functions (PlatformFunction)', () => {
  it('makes one function per line of the function table, and no other', () => {
    expect(Object.keys(functionsByDescription()).sort()).toEqual(FUNCTIONS.map((f) => f.description).sort());
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s: nodejs22.x on arm64, ESM bundle, no traces of its own, JSON logs without Lambda\'s per-invocation records to its own log group', (_name, spec) => {
    const { props } = functionsByDescription()[spec.description]!;
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: spec.memoryMiB,
      Timeout: spec.timeoutSeconds,
      TracingConfig: { Mode: 'PassThrough' },
      LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN', LogGroup: { Ref: expect.stringMatching(/FunctionLogs/) } },
    });
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({ NODE_OPTIONS: '--enable-source-maps', BERTH_APPS_DOMAIN: 'apps.berth.invalid', PAAS_SIGNUP: 'off', PAAS_TRIAL_DAYS: '7', PAAS_PROJECTS_PER_USER: '10' });
    expect(text(env.TABLE_NAME)).toMatch(/Table/);
  });

  it('keeps every function log group for the configured retention (30 days by default)', () => {
    const groups = resourcesOf(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBe(FUNCTIONS.length + 1); // + API access logs
    for (const [id, props] of groups) expect(props.RetentionInDays, id).toBe(30);
  });

  it('keeps the functions\' logs in the Standard class (their error records are metrics, alarmed on) and the API\'s access log in Infrequent Access (read by operators only, half the price per GB)', () => {
    const groups = resourcesOf(template, 'AWS::Logs::LogGroup');
    const classOf = Object.fromEntries(groups.map(([id, p]) => [id, (p.LogGroupClass as string | undefined) ?? 'STANDARD']));
    const access = Object.keys(classOf).filter((id) => id.startsWith('ApiAccessLogs'));
    expect(access).toHaveLength(1);
    expect(classOf[access[0]!]).toBe('INFREQUENT_ACCESS');
    const functionGroups = Object.entries(classOf).filter(([id]) => /FunctionLogs/.test(id));
    expect(functionGroups).toHaveLength(FUNCTIONS.length);
    for (const [id, cls] of functionGroups) expect(cls, id).toBe('STANDARD');
  });

  it('traces every function at Lambda\'s own rate when the deployment asks (berth:tracing=active)', () => {
    const traced = synthBerth({ 'berth:tracing': 'active' }).templates.controlPlane;
    const modes = resourcesOf(traced, 'AWS::Lambda::Function').map(([, p]) => (p.TracingConfig as { Mode: string }).Mode);
    expect(modes).toEqual(FUNCTIONS.map(() => 'Active'));
  });

  it('tells fleet-driving functions where the cluster, builder and pod roles are', () => {
    const { props } = functionsByDescription()['Reconcilers driven by the table stream']!;
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining([
      'BERTH_CLUSTER', 'BERTH_BUILD_CAPACITY_PROVIDER', 'BERTH_BUILDER_TASK_DEFINITION', 'BERTH_POD_FAMILY_PREFIX',
      'BERTH_POD_ROLE_BOUNDARY_ARN', 'BERTH_POD_LOG_GROUP', 'BERTH_REGISTRY', 'BERTH_REPOSITORY_PREFIX', 'BERTH_SECRETS_KEY_ARN',
    ]));
    expect(env.BERTH_BUILDER_TASK_DEFINITION).toBe('berth-builder');
  });

  it('gives the API the admin password secret, of the fleet only the cluster and the pods\' log group (pod logs and sessions), and the registry and its push role (push logins)', () => {
    const { props } = functionsByDescription()['Berth REST API']!;
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(text(env.BERTH_ADMIN_SECRET_ARN)).toMatch(/AdminPassword/);
    expect(Object.keys(env).filter((k) => /CLUSTER|POD|REGISTRY/.test(k)).sort()).toEqual(['BERTH_CLUSTER', 'BERTH_POD_LOG_GROUP', 'BERTH_REGISTRY', 'BERTH_REGISTRY_PUSH_ROLE_ARN']);
    expect(text(env.BERTH_REGISTRY_PUSH_ROLE_ARN)).toMatch(/^<RegistryPushRole[0-9A-F]{8}\.Arn>$/);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 24, ExcludePunctuation: true } });
  });

  it('sends ECR\'s successful pushes under berth/ to the registry-events function, which has the table and nothing of ECR', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': [{ prefix: 'berth/' }] } },
    });
    const { props } = functionsByDescription()['Pushes to ECR move image stream tags']!;
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env).filter((k) => /REGISTRY|REPOSITORY|TABLE/.test(k)).sort()).toEqual(['BERTH_REGISTRY', 'BERTH_REPOSITORY_PREFIX', 'TABLE_NAME']);
    const policies = resourcesOf(template, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('RegistryEventsFunctionRole'));
    const actions = policies.flatMap(([, p]) => (p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((st) => [st.Action].flat()));
    expect(actions.some((a) => a.startsWith('dynamodb:'))).toBe(true);
    expect(actions.filter((a) => /^(ecr|sts|iam|ecs):/.test(a))).toEqual([]);
  });
});

describe('triggers', () => {
  it('routes webhook pushes to the webhooks function and every other request to the API function (payload v2)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', Target: Match.objectLike({ 'Fn::Join': ['', ['integrations/', { Ref: Match.stringLikeRegexp('^ApiFunction') }]] }) });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/{proxy+}', Target: Match.objectLike({ 'Fn::Join': ['', ['integrations/', { Ref: Match.stringLikeRegexp('^WebhooksFunction') }]] }) });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('serves the API on a throttled $default stage with JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"status":"\\$context.status"') },
    });
  });

  it('drives the stream reconciler from the table stream with batch item failures, bisect, bounded retries and a failure queue', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('StreamArn') },
      FunctionName: { Ref: Match.stringLikeRegexp('^StreamFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      StartingPosition: 'LATEST',
      // A rollout's steps follow one another (each writes what wakes the next), so a longer
      // window adds latency without fewer invocations (measured: \`npm run bench -- cost --window-ms=2000\`).
      MaximumBatchingWindowInSeconds: 1,
      BatchSize: 100,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } } },
    });
  });

  it('resyncs every minute, retrying twice and then parking the event on the failure queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResyncFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } },
      })],
    });
  });

  it('wakes the resync on task state changes of pods and Services\' proxies in Berth\'s cluster only (not builds\': it ignores those)', () => {
    const resyncRules = resourcesOf(template, 'AWS::Events::Rule').map(([, p]) => p)
      .filter((p) => p.EventPattern && text(p.Targets).includes('ResyncFunction'));
    expect(resyncRules).toHaveLength(1);
    expect(resyncRules[0]!.EventPattern).toEqual({
      source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'],
      detail: { clusterArn: [{ 'Fn::ImportValue': expect.stringMatching(/Cluster/) }], startedBy: [{ prefix: POD_FAMILY_PREFIX }, { prefix: PROXY_FAMILY_PREFIX }] },
    });
  });

  it('sends pod task state changes (startedBy a pod token) and container instance state changes in Berth\'s cluster to the fleet events function', () => {
    const target = [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FleetEventsFunction'), 'Arn'] }, DeadLetterConfig: Match.anyValue() })];
    const cluster = [{ 'Fn::ImportValue': Match.stringLikeRegexp('Cluster') }];
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'], detail: { clusterArn: cluster, startedBy: [{ prefix: 'berth-pod-' }] } },
      Targets: target,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Container Instance State Change'], detail: { clusterArn: cluster } },
      Targets: target,
    });
  });

  it('lets the stream reconciler read only the table\'s stream', () => {
    const [, policy] = resourcesOf(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('StreamFunctionRole'))!;
    const stream = (policy.PolicyDocument as { Statement: { Action: string[]; Resource: unknown }[] }).Statement
      .filter((s) => [s.Action].flat().some((a) => a === 'dynamodb:DescribeStream' || a === 'dynamodb:ListStreams'));
    expect(stream.length).toBeGreaterThan(0);
    for (const s of stream) expect(text(s.Resource)).toMatch(/StreamArn/);
  });
});

describe('push connections (WebSocket API)', () => {
  const envOfFunction = (description: string) => (functionsByDescription()[description]!.props.Environment as { Variables: Record<string, unknown> }).Variables;
  const PUSH_FUNCTION = 'Push connections: open, watch, close (WebSocket API routes)';
  const PUSH_API = /^PushApi[0-9A-F]{8}$/;
  const toPushFunction = Match.objectLike({ 'Fn::Join': ['', ['integrations/', { Ref: Match.stringLikeRegexp('^PushApi.*PushIntegration') }]] });

  it('is a WebSocket API whose $connect, $disconnect and $default routes all go to the push function', () => {
    const apis = resourcesOf(template, 'AWS::ApiGatewayV2::Api').filter(([, p]) => p.ProtocolType === 'WEBSOCKET');
    expect(apis.map(([id]) => id)).toEqual([expect.stringMatching(PUSH_API)]);
    const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').filter(([, p]) => text(p.ApiId).match(/^<PushApi/));
    expect(routes.map(([, p]) => p.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect']);
    for (const routeKey of ['$connect', '$disconnect', '$default']) template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, ApiId: { Ref: Match.stringLikeRegexp('^PushApi') }, Target: toPushFunction });
    const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration').filter(([, p]) => text(p.ApiId).match(/^<PushApi/));
    expect(integrations).toHaveLength(1);
    expect(integrations[0]![1]).toMatchObject({ IntegrationType: 'AWS_PROXY' });
    expect(text(integrations[0]![1].IntegrationUri)).toMatch(/<PushFunction[0-9A-F]{8}\.Arn>\/invocations$/);
  });

  it('returns the push function\'s answer on $default as the route response (no PostToConnection for replies)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', ApiId: { Ref: Match.stringLikeRegexp('^PushApi') }, RouteResponseSelectionExpression: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', { RouteResponseKey: '$default', RouteId: { Ref: Match.stringLikeRegexp('^PushApidefaultRoute') } });
    template.resourceCountIs('AWS::ApiGatewayV2::RouteResponse', 1);
  });

  it('serves it on the throttled stage "live", deployed with every change', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: Match.stringLikeRegexp('^PushApi') },
      StageName: 'live',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
  });

  it('lets API Gateway invoke the push function for its three routes only', () => {
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(([, p]) => text(p.FunctionName).match(/^<PushFunction/));
    expect(permissions.map(([, p]) => text(p.SourceArn).split('/').pop()).sort()).toEqual(['*$connect', '*$default', '*$disconnect']);
    for (const [, p] of permissions) expect(p.Principal).toBe('apigateway.amazonaws.com');
  });

  it('gives the push function a small memory, the table\'s name and nothing else of Berth\'s', () => {
    const { props } = functionsByDescription()[PUSH_FUNCTION]!;
    expect(props.MemorySize).toBe(256);
    expect(Object.keys(envOfFunction(PUSH_FUNCTION)).filter((k) => k.startsWith('BERTH_') && k !== 'BERTH_APPS_DOMAIN')).toEqual([]);
    expect(text(envOfFunction(PUSH_FUNCTION).TABLE_NAME)).toMatch(/Table/);
  });

  it('tells the stream function the stage\'s https callback URL and the API function the wss URL; no other function either', () => {
    expect(text(envOfFunction('Reconcilers driven by the table stream').BERTH_PUSH_ENDPOINT)).toMatch(/^https:\/\/<PushApi[0-9A-F]{8}>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/live$/);
    expect(text(envOfFunction('Berth REST API').BERTH_PUSH_URL)).toMatch(/^wss:\/\/<PushApi[0-9A-F]{8}>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/live$/);
    const holders = (name: string) => Object.entries(functionsByDescription()).filter(([, f]) => name in (f.props.Environment as { Variables: object }).Variables).map(([d]) => d);
    expect(holders('BERTH_PUSH_ENDPOINT')).toEqual(['Reconcilers driven by the table stream']);
    expect(holders('BERTH_PUSH_URL')).toEqual(['Berth REST API']);
    template.hasOutput('PushUrl', { Value: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['wss://', { Ref: Match.stringLikeRegexp('^PushApi') }])] }) });
  });

  it('grants posting to connections on the stage\'s POST /@connections/* to the stream function alone', () => {
    const grants = statements(synth.templates).filter((s) => s.actions.some((a) => a.startsWith('execute-api:')));
    expect(grants.map((s) => [s.holder.replace(/[0-9A-F]{8}$/, ''), s.actions, s.resources])).toEqual([
      ['PushPostPolicy', ['execute-api:ManageConnections'], [expect.stringMatching(/^arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<PushApi[0-9A-F]{8}>\/live\/POST\/@connections\/\*$/)]],
    ]);
    const [, policy] = resourcesOf(template, 'AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith('PushPostPolicy'))!;
    expect(text(policy.Roles)).toMatch(/^<StreamFunctionRole[0-9A-F]{8}>$/);
  });
});

describe('failure queue and alarms', () => {
  it('keeps failed events for 14 days, encrypted, TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('alarms on any error of each fleet loop, by the dimension its error records carry', () => {
    const fleet = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, p]) => p).filter((a) => a.MetricName === FLEET_ERRORS_METRIC);
    expect(fleet.map((a) => a.Dimensions)).toEqual(FLEET_LOOPS.map((loop) => [{ Name: 'Loop', Value: loop }]));
    // The records' EMF metadata names the same namespace, metric and dimension.
    const emf = (fleetErrorRecord('ecs-fleet', new Error('x'))._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!;
    expect(fleet.every((a) => a.Namespace === emf.Namespace && a.Statistic === 'Sum')).toBe(true);
    expect([emf.Dimensions, emf.Metrics[0]!.Name]).toEqual([[['Loop']], FLEET_ERRORS_METRIC]);
  });

  it('alarms on any message on the failure queue and on any error or throttle of each function, to the alarm topic', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, p]) => p);
    const metrics = alarms.map((a) => `${a.Namespace as string}/${a.MetricName as string}`).sort();
    expect(metrics).toEqual([
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      ...FUNCTIONS.flatMap(() => ['AWS/Lambda/Errors', 'AWS/Lambda/Throttles']),
      ...FLEET_LOOPS.map(() => `${FLEET_METRICS_NAMESPACE}/${FLEET_ERRORS_METRIC}`),
    ].sort());
    for (const a of alarms) {
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(text(a.AlarmActions)).toMatch(/Alarms/);
    }
  });
});

describe('the function table is data', () => {
  it('adding one line adds a function with its route, grants and alarms', () => {
    const extra: FunctionSpec = {
      name: 'git-hooks', entry: 'functions/api/index.ts', description: 'A second webhook family', memoryMiB: 256, timeoutSeconds: 10,
      triggers: [{ kind: 'http', route: 'PUT /hooks/{proxy+}' }], access: ['table'],
    };
    const t = synthBerth({}, { functions: [...FUNCTIONS, extra] }).templates.controlPlane;
    t.hasResourceProperties('AWS::Lambda::Function', { Description: 'A second webhook family', MemorySize: 256, Runtime: 'nodejs22.x' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'PUT /hooks/{proxy+}', Target: Match.objectLike({ 'Fn::Join': ['', ['integrations/', { Ref: Match.stringLikeRegexp('^GitHooksFunction') }]] }) });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1 + FLEET_LOOPS.length + 2 * (FUNCTIONS.length + 1));
  });
});

describe('custom domain', () => {
  let withDomain: Synthesised;
  beforeAll(() => {
    withDomain = synthBerth(FULL_CONTEXT);
  });

  it('has no certificate, domain or DNS record without a hosted zone', () => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  it('serves the API at api.<domain> with a DNS-validated certificate and an alias record', () => {
    const t = withDomain.templates.controlPlane;
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'api.berth.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'api.berth.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'api.berth.example.com' });
    t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: '$default' });
    // Push connections stay on their execute-api URL: the API tells the CLI where they are.
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(text(t.toJSON().Outputs.PushUrl.Value)).toMatch(/^wss:\/\/<PushApi[0-9A-F]{8}>\.execute-api\./);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.berth.example.com.', Type: 'A', HostedZoneId: 'Z0123456789ABCDEFGHIJ' });
    t.hasOutput('ApiUrl', { Value: 'https://api.berth.example.com/' });
  });

  it('tells the functions the apps domain apps.<domain>', () => {
    for (const [, p] of resourcesOf(withDomain.templates.controlPlane, 'AWS::Lambda::Function')) {
      expect((p.Environment as { Variables: Record<string, unknown> }).Variables.BERTH_APPS_DOMAIN).toBe('apps.berth.example.com');
    }
  });

  it('subscribes the alarm e-mail to the alarm topic', () => {
    withDomain.templates.base.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});
