// The builder agent: runs one Build end to end (BUILD_PROJECT/BUILD_NAME) and exits; with the
// argument `import`, the import task's program instead (./import.ts). Launched
// as a local process by `npm run up`, or as an ECS task on a build host on AWS. SIGTERM (cancel,
// deadline) stops the build; the build reconciler records why.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import Docker from 'dockerode';
import { runBuild } from '../../shared/builds/agent.ts';
import { extractArchive } from '../../shared/builds/archive.ts';
import { dockerfileBuild } from '../../shared/builds/docker-build.ts';
import { s2iBuild } from '../../shared/builds/s2i/build.ts';
import { DOCKER_SOCKET } from '../../shared/local/dockerd.ts';
import { chooseAdapters, chooseEgress, makeAdapters, makeEgress } from './adapters.ts';
import { buildSettings } from '../../shared/builds/settings.ts';
import { imageCacheBudgetBytes } from '../../shared/images/cache-plan.ts';
import { DockerImageCache } from '../../shared/images/docker-cache.ts';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the builder agent runs the one build that BUILD_PROJECT and BUILD_NAME name`);
  return v;
}

async function main(): Promise<number> {
  const ref = { kind: 'Build', project: required('BUILD_PROJECT'), name: required('BUILD_NAME') };
  // On AWS: ECR, logs in the table, uploads in S3; locally: the loopback registry, PAAS_HOME.
  const choice = chooseAdapters(process.env);
  const adapters = makeAdapters(choice);
  const settings = buildSettings(process.env);
  const abort = new AbortController();
  process.once('SIGTERM', () => abort.abort(new Error('stopped')));
  process.once('SIGINT', () => abort.abort(new Error('stopped')));
  const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? DOCKER_SOCKET });
  const phase = await runBuild(
    {
      ...adapters,
      docker,
      engine: { s2iBuild, dockerfileBuild, extractArchive },
      settings,
      // assemble reaches the package index (and nothing else) through this.
      egress: makeEgress(chooseEgress(choice, process.env, settings.pip), docker),
      signal: abort.signal,
    },
    ref,
  );
  console.log(`build ${ref.project}/${ref.name}: ${phase ?? 'not run by this agent'}`);
  // The build host's cache of platform images is kept within PAAS_IMAGE_CACHE_GB after each build;
  // images of builds running now are in use by their containers or recent (kept).
  if (process.env.PAAS_BUILD_IMAGE_CACHE !== 'off') {
    const out = await new DockerImageCache(docker, { registry: adapters.platformRegistry, budgetBytes: imageCacheBudgetBytes(process.env) })
      .collect()
      .catch((err: Error) => console.error(`builder: image cache: ${err.message}`));
    if (out?.removed.length) console.log(`image cache: removed ${out.removed.length} images (${Math.round((out.beforeBytes - out.afterBytes) / 2 ** 20)} MiB)`);
  }
  return phase === 'Complete' ? 0 : 1;
}

// `main.mjs import`: the import task (task definition berth-import), not a build.
(process.argv[2] === 'import' ? import('./import.ts').then((m) => m.importMain()) : main()).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`builder: ${err.message}`);
    process.exit(2);
  },
);
