// The serverless control plane: one PlatformFunction per line of the function table, each with
// its triggers (HTTP API routes, the table stream, schedules, ECS task events, the push
// connections' WebSocket API routes), its grants, and alarms; the failure queue where given-up
// events land; the generated first admin password.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { DomainName, HttpApi, HttpMethod, HttpRoute, HttpRouteKey, LogGroupLogDestination, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Rule, Schedule, type RuleProps } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, LogGroupClass } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { INSTANCE_STATE_CHANGE, TASK_STATE_CHANGE } from '../../shared/aws/ecs-events.ts';
import { POD_FAMILY_PREFIX } from '../../shared/aws/ecs-pod-spec.ts';
import { PROXY_FAMILY_PREFIX } from '../../shared/aws/service-proxy-task.ts';
import { LOG_PARTITION_PREFIX, OBJECT_PARTITION_PREFIXES } from '../../shared/store/keys.ts';
import { WAKE_PARTITION } from '../../shared/idling/signals.ts';
import { grantAccess } from '../access.ts';
import type { BerthConfig } from '../config.ts';
import { alarmOnFleetLoops, alarmOnFunction, alarmOnQueue } from '../constructs/alarms.ts';
import { PlatformFunction } from '../constructs/platform-function.ts';
import { PushApi } from '../constructs/push-api.ts';
import { FUNCTIONS, type FunctionSpec, type Trigger } from '../functions.ts';
import { retentionOf } from '../retention.ts';
import { REPOSITORY_PREFIX } from '../constructs/registry.ts';
import { ecrPushPattern } from '../../shared/aws/ecr-image-actions.ts';
import type { FleetStack } from './fleet-stack.ts';
import type { StateStack } from './state-stack.ts';

/** How the table stream drives reconcilers: a poison record is isolated, retried a few times, then parked. */
export const STREAM_SETTINGS = { batchSize: 100, retryAttempts: 5, maxRecordAge: Duration.hours(1), maxBatchingWindow: Duration.seconds(1) };

/**
 * Only objects' records, the routers' wake requests (the idler wakes a DC on them) and build log
 * writes invoke the stream function. Log writes reach no reconciler (the handler makes no
 * reference of them): they are there for the push connections watching a build's log, told in
 * the same batch. The routers' activity reports and the push connections' own items stay out.
 */
export const STREAM_FILTER = { dynamodb: { Keys: { pk: { S: [...OBJECT_PARTITION_PREFIXES, WAKE_PARTITION, LOG_PARTITION_PREFIX].map((prefix) => ({ prefix })) } } } };

export interface ControlPlaneStackProps extends StackProps {
  config: BerthConfig;
  state: StateStack;
  fleet: FleetStack;
  alarmTopic: ITopic;
  /** The function table; FUNCTIONS unless a test passes its own. */
  functions?: readonly FunctionSpec[];
}

export class ControlPlaneStack extends Stack {
  readonly functions = new Map<string, PlatformFunction>();
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly failureQueue: Queue;
  readonly adminSecret: Secret;
  readonly push: PushApi;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = retentionOf(config);

    this.failureQueue = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.failureQueue, [{ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter destination itself (stream on-failure and EventBridge target DLQ).' }]);
    alarmOnQueue(this, 'FailuresWaiting', this.failureQueue, props.alarmTopic);
    alarmOnFleetLoops(this, props.alarmTopic);

    this.adminSecret = new Secret(this, 'AdminPassword', {
      description: 'Password of the Berth user "admin", made at the first deploy',
      generateSecretString: { passwordLength: 24, excludePunctuation: true },
    });
    NagSuppressions.addResourceSuppressions(this.adminSecret, [{ id: 'AwsSolutions-SMG4', reason: 'A one-time bootstrap credential: Berth reads it once to create the first administrator, who then changes the password in Berth; rotating the secret would not change the Berth password.' }]);

    this.api = new HttpApi(this, 'HttpApi', { description: 'Berth API and webhooks', createDefaultStage: false });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      // One line a request, read by operators with Logs Insights (no alarm or metric filter):
      // the Infrequent Access class, half the Standard class's price per GB ingested.
      accessLogSettings: { destination: new LogGroupLogDestination(new LogGroup(this, 'ApiAccessLogs', { retention, logGroupClass: LogGroupClass.INFREQUENT_ACCESS, removalPolicy: RemovalPolicy.DESTROY })), format: ACCESS_LOG_FORMAT },
      domainMapping: this.customDomain(config),
    });

    // Made before the functions: the push function is its routes' target, the stream and API functions are given its URLs.
    this.push = new PushApi(this, 'Push');

    for (const spec of props.functions ?? FUNCTIONS) this.addFunction(spec, props);

    new CfnOutput(this, 'ApiUrl', { value: config.hostedZone ? `https://api.${config.domain}/` : this.stage.url });
    // On its execute-api name even with a custom domain: only the CLI opens it, told the URL by the API.
    new CfnOutput(this, 'PushUrl', { value: this.push.url, description: 'wss URL of push connections (the API advertises it)' });
    new CfnOutput(this, 'AdminSecretArn', { value: this.adminSecret.secretArn, description: 'aws secretsmanager get-secret-value --secret-id <this>' });
    new CfnOutput(this, 'FailureQueueUrl', { value: this.failureQueue.queueUrl });
  }

  private addFunction(spec: FunctionSpec, props: ControlPlaneStackProps): void {
    const id = spec.name.replace(/(^|-)(\w)/g, (_, _dash: string, c: string) => c.toUpperCase()) + 'Function';
    const pf = new PlatformFunction(this, id, {
      entry: spec.entry,
      description: spec.description,
      memoryMiB: spec.memoryMiB,
      timeoutSeconds: spec.timeoutSeconds,
      environment: { BERTH_APPS_DOMAIN: props.config.appsDomain, ...trialEnvironment(props.config) },
      logRetention: retentionOf(props.config),
      tracing: props.config.tracing,
      console: spec.console,
      ...(spec.access.includes('claims-data') ? { mount: props.fleet.claimsDataMount } : {}),
    });
    const environment = grantAccess(pf.role, spec.access, { state: props.state, fleet: props.fleet, adminSecret: this.adminSecret, push: this.push });
    for (const [k, v] of Object.entries(environment)) pf.fn.addEnvironment(k, v);
    spec.triggers.forEach((trigger, i) => this.addTrigger(pf, `${id}Trigger${i}`, trigger, props));
    alarmOnFunction(this, id, pf.fn, props.alarmTopic);
    this.functions.set(spec.name, pf);
  }

  private addTrigger(pf: PlatformFunction, id: string, trigger: Trigger, props: ControlPlaneStackProps): void {
    const target = () => new LambdaFunction(pf.fn, { retryAttempts: 2, maxEventAge: Duration.hours(1), deadLetterQueue: this.failureQueue });
    const rule = (ruleProps: RuleProps) => new Rule(this, id, { ...ruleProps, targets: [target()] });
    switch (trigger.kind) {
      case 'http': {
        const integration = new HttpLambdaIntegration(`${id}Integration`, pf.fn);
        const [method, path] = trigger.route.split(' ');
        const routeKey = trigger.route === '$default' ? HttpRouteKey.DEFAULT : HttpRouteKey.with(path!, HttpMethod[method as keyof typeof HttpMethod]);
        const route = new HttpRoute(this, `${id}Route`, { httpApi: this.api, routeKey, integration });
        NagSuppressions.addResourceSuppressions(route, [{
          id: 'AwsSolutions-APIG4',
          reason: 'Berth authenticates in the function: bearer tokens on every API route (proved by the route-walk test), HMAC signatures or secrets on webhooks; the login route and webhooks must be reachable without a gateway authorizer.',
        }]);
        return;
      }
      case 'stream':
        pf.fn.addEventSource(new DynamoEventSource(props.state.table, {
          startingPosition: StartingPosition.LATEST,
          ...STREAM_SETTINGS,
          bisectBatchOnError: true,
          reportBatchItemFailures: true,
          filters: [FilterCriteria.filter(STREAM_FILTER)],
          onFailure: new SqsDlq(this.failureQueue),
        }));
        return;
      case 'schedule':
        rule({ schedule: Schedule.rate(Duration.minutes(trigger.everyMinutes)), description: `Berth resync every ${trigger.everyMinutes} min` });
        return;
      case 'ecs-task-state':
        // Pods' tasks and Services' proxies only: the function ignores any other task's events
        // (a build's), and each event it is sent is an invocation billed.
        rule({
          description: 'ECS task state changes of pods and Services\' proxies in the Berth cluster',
          eventPattern: { source: ['aws.ecs'], detailType: ['ECS Task State Change'], detail: { clusterArn: [props.fleet.cluster.clusterArn], startedBy: [{ prefix: POD_FAMILY_PREFIX }, { prefix: PROXY_FAMILY_PREFIX }] } },
        });
        return;
      case 'ecs-fleet-events':
        // Only pod tasks (their startedBy is a pod's token), and every container instance: the
        // function itself leaves out the build hosts.
        rule({
          description: 'ECS pod task state changes in the Berth cluster',
          eventPattern: { source: ['aws.ecs'], detailType: [TASK_STATE_CHANGE], detail: { clusterArn: [props.fleet.cluster.clusterArn], startedBy: [{ prefix: POD_FAMILY_PREFIX }] } },
        });
        new Rule(this, `${id}Instances`, {
          description: 'ECS container instance state changes in the Berth cluster',
          eventPattern: { source: ['aws.ecs'], detailType: [INSTANCE_STATE_CHANGE], detail: { clusterArn: [props.fleet.cluster.clusterArn] } },
          targets: [target()],
        });
        return;
      case 'ecr-pushes':
        rule({ description: 'Successful pushes to Berth\'s ECR repositories', eventPattern: ecrPushPattern(REPOSITORY_PREFIX) });
        return;
      case 'websocket':
        this.push.addHandler(pf.fn);
        return;
    }
  }

  /** api.<domain> with a DNS-validated certificate, when a hosted zone is configured. */
  private customDomain(config: BerthConfig) {
    if (!config.hostedZone) return undefined;
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: config.hostedZone.id, zoneName: config.hostedZone.name });
    const domainName = `api.${config.domain}`;
    const certificate = new Certificate(this, 'ApiCertificate', { domainName, validation: CertificateValidation.fromDns(zone) });
    const domain = new DomainName(this, 'ApiDomain', { domainName, certificate });
    new ARecord(this, 'ApiRecord', { zone, recordName: domainName, target: RecordTarget.fromAlias(new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId)) });
    return { domainName: domain };
  }
}

/**
 * One JSON line per request, with HTTP API's own context variables. The route key (the route as
 * declared, `POST /webhooks/{proxy+}`), never the raw path: a webhook's URL carries its secret,
 * and a stage has one log format for every route.
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(JSON.stringify({
  requestId: '$context.requestId', ip: '$context.identity.sourceIp', time: '$context.requestTime',
  method: '$context.httpMethod', route: '$context.routeKey', status: '$context.status', protocol: '$context.protocol',
  bytes: '$context.responseLength', latencyMs: '$context.responseLatency', integrationError: '$context.integrationErrorMessage',
}));

/** The trial settings every function reads (settingsFromEnv): sign-up, trial length, projects per user. */
function trialEnvironment(config: BerthConfig): Record<string, string> {
  return { PAAS_SIGNUP: config.trials.signup, PAAS_TRIAL_DAYS: String(config.trials.trialDays), PAAS_PROJECTS_PER_USER: String(config.trials.projectsPerUser) };
}
