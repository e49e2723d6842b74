// `berth status`: the current project's apps at a glance, and what needs attention (oc status).
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { projectOption } from '../options.ts';
import { collectionPath, resource } from '../resources.ts';
import { routerPorts } from '../route-url.ts';
import { projectStatus } from '../status.ts';

export function registerStatusCommands(program: Command, ctx: Context): void {
  program
    .command('status')
    .description("the project's apps at a glance: route → service → deployment, pods ready, last build, and warnings")
    .addOption(projectOption())
    .action(async (opts: { project?: string }) => {
      const project = ctx.project(opts.project);
      const client = ctx.client();
      const list = async (kind: string) => (await client.list(collectionPath(resource(kind), project))).items;
      const [routes, services, dcs, pods, bcs, builds, router] = await Promise.all([
        list('Route'),
        list('Service'),
        list('DeploymentConfig'),
        list('Pod'),
        list('BuildConfig'),
        list('Build'),
        routerPorts(client),
      ]);
      const { text, warnings } = projectStatus({ project, server: client.server, router, routes, services, dcs, pods, bcs, builds });
      ctx.out(text);
      if (warnings.length) ctx.out(`\n${warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`}:\n${warnings.map((w) => `  * ${w}`).join('\n')}`);
    });
}
