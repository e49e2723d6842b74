// The builder agent: runs one Build end to end (BUILD_PROJECT/BUILD_NAME) and exits. Launched
// as a local process by `npm run up`, or as an ECS task on a build host on AWS. SIGTERM (cancel,
// deadline) stops the build; the build reconciler records why.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import Docker from 'dockerode';
import { runBuild } from '../../shared/builds/agent.ts';
import { extractArchive } from '../../shared/builds/archive.ts';
import { dockerfileBuild } from '../../shared/builds/docker-build.ts';
import { s2iBuild } from '../../shared/builds/s2i/build.ts';
import { DOCKER_SOCKET } from '../../shared/local/dockerd.ts';
import { chooseAdapters, makeAdapters } from './adapters.ts';
import { buildSettings } from '../../shared/builds/settings.ts';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the builder agent runs the one build that BUILD_PROJECT and BUILD_NAME name`);
  return v;
}

async function main(): Promise<number> {
  const ref = { kind: 'Build', project: required('BUILD_PROJECT'), name: required('BUILD_NAME') };
  // On AWS: ECR, logs in the table, uploads in S3; locally: the loopback registry, PAAS_HOME.
  const adapters = makeAdapters(chooseAdapters(process.env));
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort(new Error('stopped')));
  process.once('SIGINT', () => abort.abort(new Error('stopped')));
  const phase = await runBuild(
    {
      ...adapters,
      docker: new Docker({ socketPath: process.env.DOCKER_SOCKET ?? DOCKER_SOCKET }),
      engine: { s2iBuild, dockerfileBuild, extractArchive },
      settings: buildSettings(process.env),
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
