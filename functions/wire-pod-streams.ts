// Wiring of pod logs and sessions into pods for the API function on AWS: pods' logs read from
// CloudWatch Logs (BERTH_POD_LOG_GROUP; `logs -f` by polling with a cursor, since Lambda answers
// are not streamed), exec and rsh through ECS Exec, port-forward through Session Manager, in the
// cluster BERTH_CLUSTER. Clients are made by the first request that needs them.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { ApiDeps } from '../shared/api/env.ts';
import { cloudWatchLogPages, cloudWatchLogReader } from '../shared/aws/cloudwatch-pod-logs.ts';
import { EcsExecBroker } from '../shared/aws/ecs-exec.ts';
import { EcsPodContainers } from '../shared/aws/ecs-pods.ts';
import { projectUids } from '../shared/project/uid-blocks.ts';
import { onFirstUse } from './wire.ts';

/** The pod log source and the session broker of the API function; none without BERTH_CLUSTER. */
export function podStreams(env: NodeJS.ProcessEnv, store: ApiDeps['store']): Pick<ApiDeps, 'fleet' | 'sessions'> {
  const cluster = env.BERTH_CLUSTER;
  if (!cluster) return {};
  const region = env.AWS_REGION ?? '';
  let ecs: ECSClient | undefined;
  let logs: CloudWatchLogsClient | undefined;
  const ecsClient = () => (ecs ??= new ECSClient({ region }));
  const logsClient = () => (logs ??= new CloudWatchLogsClient({ region }));
  const logGroup = env.BERTH_POD_LOG_GROUP || undefined;
  const fleet: NonNullable<ApiDeps['fleet']> = {
    containersFor(host) {
      if (host.spec.provider !== 'ecs' || !host.spec.endpoint) return undefined;
      return new EcsPodContainers({
        client: ecsClient(),
        cluster,
        containerInstanceArn: host.spec.endpoint,
        region,
        ...(logGroup ? { logGroup, readLogs: (req) => cloudWatchLogReader(logsClient())(req), readLogPage: (req) => cloudWatchLogPages(logsClient())(req) } : {}),
      });
    },
  };
  const sessions = onFirstUse(async () => {
    const client = ecsClient();
    return new EcsExecBroker({ ecs: client, ssm: new SSMClient({ region }), cluster, uidFor: projectUids(store) });
  }, ['exec', 'portForward']);
  return { fleet, sessions };
}
