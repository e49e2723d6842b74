// Which adapters the builder agent uses, from its environment: on AWS (the builder task's
// variables) ECR, logs in the table and uploads in S3; locally (`npm run up`) the loopback
// registry, logs and uploads under PAAS_HOME. chooseAdapters is pure; makeAdapters wires.
import { SHARED_PROJECT } from '../../shared/model/reserved-names.ts';
import { SHARED_IMAGE_NAMESPACES } from '../../shared/aws/project-roles.ts';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { CodeartifactClient } from '@aws-sdk/client-codeartifact';
import type Docker from 'dockerode';
import { join } from 'node:path';
import { CodeArtifactEgress, StaticIndexEgress } from '../../shared/aws/codeartifact-egress.ts';
import { EcrRegistry } from '../../shared/aws/ecr-registry.ts';
import { PLATFORM_REGISTRY_USER, platformRegistryPassword } from '../../shared/local/registry-auth.ts';
import type { BasicCredentials } from '../../shared/registry/http.ts';
import { DockerIndexEgress } from '../../shared/builds/docker-egress.ts';
import { pipEnv, type BuildEgress, type PipSettings } from '../../shared/builds/egress.ts';
import { PACKAGE_INDEX_DIR, writeSimpleIndex } from '../../shared/builds/package-index.ts';
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
    registry: new LocalRegistry(choice.registryHost, undefined, platformCredentials(choice.home)),
    platformRegistry: { host: choice.registryHost, prefix: '', shared: ['berth', SHARED_PROJECT] },
  };
}

/** The platform's login to the local registry, when `npm run up` made one (its registry then needs it). */
function platformCredentials(home: string): BasicCredentials | undefined {
  const password = platformRegistryPassword(home);
  return password ? { username: PLATFORM_REGISTRY_USER, password } : undefined;
}

export type EgressChoice =
  | { kind: 'codeartifact'; region: string; domain: string; domainOwner: string; repository: string }
  | { kind: 'index-container'; container: string; home: string; pip: PipSettings }
  | { kind: 'static'; pip: PipSettings }
  | { kind: 'none' };

/**
 * How assemble reaches a package index: CodeArtifact on AWS when BERTH_CODEARTIFACT_DOMAIN is set;
 * locally the platform's index container (BERTH_PACKAGE_INDEX_CONTAINER, set by `npm run up`);
 * on AWS without CodeArtifact, PAAS_PIP_INDEX_URL over the build host's network; else none.
 */
export function chooseEgress(adapters: AdapterChoice, env: NodeJS.ProcessEnv, pip: PipSettings): EgressChoice {
  if (adapters.kind === 'aws' && env.BERTH_CODEARTIFACT_DOMAIN) {
    const owner = env.BERTH_CODEARTIFACT_DOMAIN_OWNER;
    const repository = env.BERTH_CODEARTIFACT_REPOSITORY;
    if (!owner || !repository) throw new Error('BERTH_CODEARTIFACT_DOMAIN is set without BERTH_CODEARTIFACT_DOMAIN_OWNER and BERTH_CODEARTIFACT_REPOSITORY');
    return { kind: 'codeartifact', region: adapters.region, domain: env.BERTH_CODEARTIFACT_DOMAIN, domainOwner: owner, repository };
  }
  if (adapters.kind === 'local') return env.BERTH_PACKAGE_INDEX_CONTAINER ? { kind: 'index-container', container: env.BERTH_PACKAGE_INDEX_CONTAINER, home: adapters.home, pip } : { kind: 'none' };
  return pip.indexUrl ? { kind: 'static', pip } : { kind: 'none' };
}

export function makeEgress(choice: EgressChoice, docker: Docker): BuildEgress | undefined {
  switch (choice.kind) {
    case 'codeartifact':
      return new CodeArtifactEgress({ client: new CodeartifactClient({ region: choice.region }), domain: choice.domain, domainOwner: choice.domainOwner, repository: choice.repository });
    case 'index-container':
      // Wheels dropped into PAAS_HOME/package-index/wheels are listed from the next build on.
      return new DockerIndexEgress(docker, { container: choice.container, indexUrl: choice.pip.indexUrl, trustedHost: choice.pip.trustedHost, refresh: () => writeSimpleIndex(join(choice.home, PACKAGE_INDEX_DIR)) });
    case 'static':
      return new StaticIndexEgress(pipEnv(choice.pip));
    case 'none':
      return undefined;
  }
}
