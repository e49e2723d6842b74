// start-build, cancel-build, logs: running builds of BuildConfigs and watching them (logs also
// prints a pod's log).
import { InvalidArgumentError, type Command } from 'commander';
import type { EnvVar } from '../../shared/model/build-kinds.ts';
import type { ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { buildPath, buildRef, buildTarget, buildsOf, isFinished, latestBuild, startBuild } from '../builds.ts';
import { followBuild, printLog, printPodLog, type PodLogOptions } from '../follow.ts';
import { podPath, podTarget, resolvePod } from '../pods.ts';
import { orListHint } from '../errors.ts';
import { envOption, intBetween, projectOption } from '../options.ts';
import { resolveKind } from '../../shared/model/kind-names.ts';

export function registerBuildCommands(program: Command, ctx: Context): void {
  program
    .command('start-build')
    .description('start a build of a BuildConfig, from its git source or from a local directory')
    .argument('<BUILDCONFIG>', 'the BuildConfig to build')
    .option('--from-dir <DIR>', 'upload this directory as the source (BuildConfigs with a binary source)')
    .option('-F, --follow', 'print the build log as it runs and exit with the outcome')
    .addOption(envOption('environment for this build only'))
    .addOption(projectOption())
    .action(async (bc: string, opts: { fromDir?: string; follow?: boolean; env: EnvVar[]; project?: string }) => {
      const project = ctx.project(opts.project);
      const client = ctx.client();
      const build = await startBuild(ctx, client, project, bc, opts);
      ctx.out(`${buildRef(build.metadata.name)} started`);
      if (opts.follow) await followBuild(ctx, client, project, build.metadata.name);
    });

  program
    .command('cancel-build')
    .description('cancel builds; bc/NAME cancels every unfinished build of that BuildConfig')
    .argument('<BUILD...>', 'builds by name (web-1 or build/web-1), or bc/NAME')
    .addOption(projectOption())
    .action(async (args: string[], opts: { project?: string }) => {
      const targets = args.map((arg) => buildTarget(arg, 'Build'));
      const project = ctx.project(opts.project);
      const client = ctx.client();
      for (const target of targets) {
        const names = target.kind === 'Build' ? [target.name] : await unfinishedBuilds(ctx, project, target.name);
        for (const name of names) {
          const b = await orListHint('builds', project, () => client.post<ApiObject>(`${buildPath(project, name)}/cancel`));
          const phase = b.status?.phase ?? 'New';
          ctx.out(isFinished(phase) ? `${buildRef(name)} already ${phase}` : `${buildRef(name)} marked for cancellation`);
        }
      }
    });

  program
    .command('logs')
    .description("print a build's log or a pod's; -f follows it (a build's until it ends, then exits with its outcome)")
    .argument('<TARGET>', 'build/NAME, bc/NAME for the newest build of a BuildConfig, pod/NAME, or dc/NAME for a running pod of it')
    .option('-f, --follow', 'keep printing as the log grows')
    .option('--tail <lines>', "a pod's last lines only", intBetween(0, 100_000))
    .option('--since <duration>', "a pod's lines of the last 10s, 5m, 2h…", parseDuration)
    .option('-p, --previous', "the pod's container before its last restart")
    .addOption(projectOption())
    .action(async (arg: string, opts: PodLogOptions & { since?: number; project?: string }) => {
      const at = arg.indexOf('/');
      const kind = at > 0 ? resolveKind(arg.slice(0, at))?.kind : undefined;
      const onPod = kind === 'Pod' || kind === 'DeploymentConfig';
      const target = onPod ? undefined : buildTarget(arg, 'Build');
      const project = ctx.project(opts.project);
      const client = ctx.client();
      if (!target) {
        const pod = await resolvePod(client, project, podTarget(arg));
        await printPodLog(ctx, client, podPath(project, pod), project, { follow: opts.follow, tail: opts.tail, sinceSeconds: opts.since, previous: opts.previous });
        return;
      }
      const name = target.kind === 'Build' ? target.name : await latestBuild(client, project, target.name);
      if (opts.follow) await followBuild(ctx, client, project, name);
      else await printLog(ctx, client, project, name);
    });
}

/** `10s`, `5m`, `2h`, `1d` (or plain seconds) as seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(value.trim());
  const n = m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's'] : NaN;
  if (!(n >= 1)) throw new InvalidArgumentError('give a duration such as 30s, 5m, 2h or 1d');
  return n;
}

async function unfinishedBuilds(ctx: Context, project: string, bc: string): Promise<string[]> {
  const names = (await buildsOf(ctx.client(), project, bc)).filter((b) => !isFinished(b.status?.phase)).map((b) => b.metadata.name);
  if (names.length === 0) ctx.note(`buildconfig "${bc}" has no unfinished builds`);
  return names;
}
