// start-build, cancel-build, logs: running builds of BuildConfigs and watching them (logs also
// prints a pod's log).
import type { Command } from 'commander';
import type { EnvVar } from '../../shared/model/build-kinds.ts';
import type { ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { buildPath, buildRef, buildTarget, buildsOf, isFinished, latestBuild, orListHint, startBuild } from '../builds.ts';
import { followBuild, printLog } from '../follow.ts';
import { envOption, projectOption } from '../options.ts';
import { objectPath, resource } from '../resources.ts';
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
    .description("print a build's log (-f follows it until the build ends) or a pod's")
    .argument('<TARGET>', 'build/NAME, bc/NAME for the newest build of a BuildConfig, or pod/NAME')
    .option('-f, --follow', 'keep printing until the build ends, then exit with its outcome')
    .addOption(projectOption())
    .action(async (arg: string, opts: { follow?: boolean; project?: string }) => {
      const at = arg.indexOf('/');
      const pod = at > 0 && resolveKind(arg.slice(0, at))?.kind === 'Pod' ? arg.slice(at + 1) : undefined;
      const target = pod === undefined ? buildTarget(arg, 'Build') : undefined;
      const project = ctx.project(opts.project);
      const client = ctx.client();
      if (!target) {
        const res = await orListHint('pods', project, () => client.open('GET', `${objectPath(resource('Pod'), project, pod!)}/log`, { accept: 'text/plain' }));
        ctx.io.stdout.write(await res.text());
        return;
      }
      const name = target.kind === 'Build' ? target.name : await latestBuild(client, project, target.name);
      if (opts.follow) await followBuild(ctx, client, project, name);
      else await printLog(ctx, client, project, name);
    });
}

async function unfinishedBuilds(ctx: Context, project: string, bc: string): Promise<string[]> {
  const names = (await buildsOf(ctx.client(), project, bc)).filter((b) => !isFinished(b.status?.phase)).map((b) => b.metadata.name);
  if (names.length === 0) ctx.note(`buildconfig "${bc}" has no unfinished builds`);
  return names;
}
