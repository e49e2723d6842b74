// Push connections on AWS: API Gateway's WebSocket API, whose three routes ($connect,
// $disconnect, $default) go to the push function, on the stage `live`. A client opens a
// connection with its bearer token (checked by the function on $connect), says what it watches
// (answered as $default's route response), and is told of changes by the stream function, which
// alone may post to the stage's connections.
import { Stack } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export const PUSH_STAGE = 'live';
/** Messages a second on the stage, and the burst above it (every route of every connection). */
export const PUSH_THROTTLE = { rateLimit: 50, burstLimit: 100 };
const ROUTES = ['$connect', '$disconnect', '$default'] as const;

export class PushApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  private postPolicy?: ManagedPolicy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', { apiName: `${Stack.of(this).stackName}-push`, description: 'Berth push connections: notices of changed paths' });
    this.stage = new WebSocketStage(this, 'Stage', { webSocketApi: this.api, stageName: PUSH_STAGE, autoDeploy: true, throttle: PUSH_THROTTLE });
    NagSuppressions.addResourceSuppressions(this.stage, [{
      id: 'AwsSolutions-APIG1',
      reason: 'A WebSocket stage logs to CloudWatch only through the account-wide API Gateway logging role (AWS::ApiGateway::Account, one per account and region), which Berth does not take over from the account; the push function logs every route that fails, and connection and message counts are in the API\'s metrics.',
    }]);
  }

  /** The wss URL clients open. */
  get url(): string {
    return this.stage.url;
  }

  /** The https URL the management API is called on (PostToConnection). */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /** Sends every route to `fn`; $default returns the function's answer to the client. */
  addHandler(fn: IFunction): void {
    const integration = new WebSocketLambdaIntegration('PushIntegration', fn);
    for (const routeKey of ROUTES) {
      const route = this.api.addRoute(routeKey, { integration, ...(routeKey === '$default' ? { returnResponse: true } : {}) });
      NagSuppressions.addResourceSuppressions(route, [{
        id: 'AwsSolutions-APIG4',
        reason: 'The push function authenticates on $connect (the bearer token of the handshake; any other status refuses the connection) and authorises each path a connection watches against the project\'s role bindings; messages of a connection it does not know are refused.',
      }]);
    }
  }

  /**
   * Lets `grantee` (a role) post to this stage's connections (PostToConnection), and nothing else
   * of the management API, through a customer managed policy written out in the template: the
   * stream function's inline policy is near IAM's size limit, which CDK would overflow unnamed.
   */
  grantPost(grantee: IGrantable): void {
    const arn = Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `${PUSH_STAGE}/POST/@connections/*` });
    this.postPolicy ??= new ManagedPolicy(this, 'PostPolicy', {
      description: 'Berth: notices to push connections (PostToConnection on the push stage)',
      statements: [new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [arn] })],
    });
    this.postPolicy.attachToRole(grantee.grantPrincipal as IRole);
  }
}
