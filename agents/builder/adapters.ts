// Which adapters the builder agent uses, from its environment: on AWS (the builder task's
// variables) ECR, logs in the table and uploads in S3; locally (`npm run up`) the loopback
// registry, logs and uploads under PAAS_HOME. chooseAdapters is pure; makeAdapters wires.
import { SHARED_PROJECT } from '../../shared/model/reserved-names.ts';
import { SHARED_IMAGE_NAMESPACES } from '../../shared/aws/project-roles.ts';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { S3SourceArchives } from '../../shared/aws/s3-sources.ts';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { FileBuildLogs, FileSourceArchives, LocalRegistry } from '../../shared/builds/local-adapters.ts';
import type { BuildLogs, ImageRegistry, SourceArchives } from '../../shared/builds/ports.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import type { PlatformRegistry } from '../../shared/images/access.ts';

export type AdapterChoice =
  | { kind: 'aws'; tableName: string; region: string; registry: string; repositoryPrefix: string; sourcesBucket: string }
  | { kind: 'local'; tableName: string; dynamoEndpoint?: string; home: string; registryHost: string };

export interface BuilderAdapters {
  store: ObjectStore;
  logs: BuildLogs;
  sources: SourceArchives;
  registry: ImageRegistry;
  /** The registry's layout: which images are whose. */
  platformRegistry: PlatformRegistry;
}

/** AWS when BERTH_REGISTRY (ECR) is set, local when BERTH_REGISTRY_HOST is; a one-line error otherwise. */
export function chooseAdapters(env: NodeJS.ProcessEnv): AdapterChoice {
  const need = (name: string, why: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set (${why})`);
    return v;
  };
  if (env.BERTH_REGISTRY && env.BERTH_REGISTRY_HOST) {
    throw new Error('both BERTH_REGISTRY (ECR, on AWS) and BERTH_REGISTRY_HOST (the local registry) are set; set one');
  }
  if (env.BERTH_REGISTRY) {
    return {
      kind: 'aws',
      tableName: need('TABLE_NAME', 'the state table'),
      region: need('AWS_REGION', 'the region of the table, ECR and S3'),
      registry: env.BERTH_REGISTRY,
      repositoryPrefix: env.BERTH_REPOSITORY_PREFIX || 'berth',
      sourcesBucket: need('BERTH_SOURCES_BUCKET', 'uploaded sources, on AWS'),
    };
  }
  if (env.BERTH_REGISTRY_HOST) {
    return {
      kind: 'local',
      tableName: need('TABLE_NAME', 'the state table'),
      dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
      home: need('PAAS_HOME', 'logs and uploaded sources, locally'),
      registryHost: env.BERTH_REGISTRY_HOST,
    };
  }
  throw new Error('no registry is set: BERTH_REGISTRY (ECR, on AWS) or BERTH_REGISTRY_HOST with PAAS_HOME (npm run up)');
}

export function makeAdapters(choice: AdapterChoice): BuilderAdapters {
  if (choice.kind === 'aws') {
    const client = createDynamoClient({ region: choice.region });
    return {
      store: new DynamoObjectStore({ client, tableName: choice.tableName }),
      logs: new DynamoBuildLogs({ client, tableName: choice.tableName }),
      sources: new S3SourceArchives({ client: new S3Client({ region: choice.region }), bucket: choice.sourcesBucket }),
      registry: new EcrRegistry({ client: new ECRClient({ region: choice.region }), host: choice.registry, prefix: choice.repositoryPrefix }),
      platformRegistry: { host: choice.registry, prefix: choice.repositoryPrefix, shared: [...SHARED_IMAGE_NAMESPACES] },
    };
  }
  return {
    store: new DynamoObjectStore({ client: createDynamoClient({ endpoint: choice.dynamoEndpoint }), tableName: choice.tableName }),
    logs: new FileBuildLogs(join(choice.home, 'logs')),
    sources: new FileSourceArchives(join(choice.home, 'sources')),
    registry: new LocalRegistry(choice.registryHost),
    platformRegistry: { host: choice.registryHost, prefix: '', shared: ['berth', SHARED_PROJECT] },
  };
}
