// The builder agent: runs one Build end to end (BUILD_PROJECT/BUILD_NAME) and exits. Launched
// as a local process by `npm run up`, or as an ECS task on a build host on AWS. SIGTERM (cancel,
// deadline) stops the build; the build reconciler records why.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import Docker from 'dockerode';
import { join } from 'node:path';
import { runBuild } from '../../shared/build/agent.ts';
import { extractArchive } from '../../shared/build/archive.ts';
import { dockerfileBuild } from '../../shared/build/docker-build.ts';
import { FileBuildLogs, FileSourceArchives, LocalRegistry } from '../../shared/build/local-adapters.ts';
import { s2iBuild } from '../../shared/build/s2i/build.ts';
import { DOCKER_SOCKET } from '../../shared/local/dockerd.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

async function main(): Promise<number> {
  const ref = { kind: 'Build', project: required('BUILD_PROJECT'), name: required('BUILD_NAME') };
  const store = new DynamoObjectStore({ client: createDynamoClient({ endpoint: process.env.DYNAMODB_ENDPOINT }), tableName: required('TABLE_NAME') });
  // Local runs keep logs and uploads under PAAS_HOME and push to the loopback registry.
  const home = required('PAAS_HOME');
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort(new Error('stopped')));
  process.once('SIGINT', () => abort.abort(new Error('stopped')));
  const phase = await runBuild(
    {
      store,
      logs: new FileBuildLogs(join(home, 'logs')),
      sources: new FileSourceArchives(join(home, 'sources')),
      registry: new LocalRegistry(required('BERTH_REGISTRY_HOST')),
      docker: new Docker({ socketPath: process.env.DOCKER_SOCKET ?? DOCKER_SOCKET }),
      engine: { s2iBuild, dockerfileBuild, extractArchive },
      signal: abort.signal,
    },
    ref,
  );
  console.log(`build ${ref.project}/${ref.name}: ${phase ?? 'not run by this agent'}`);
  return phase === 'Complete' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`builder: ${err.message}`);
    process.exit(2);
  },
);
