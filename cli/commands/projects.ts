// new-project, projects, project: creating projects and choosing the current one.
import type { Command } from 'commander';
import type { ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';

export function registerProjectCommands(program: Command, ctx: Context): void {
  program
    .command('new-project')
    .description('create a project and switch to it')
    .argument('<NAME>', 'the project name (a DNS-1123 label)')
    .option('--display-name <text>', 'a human-friendly name')
    .option('--description <text>', 'what the project is for')
    .action(async (name: string, opts: { displayName?: string; description?: string }) => {
      const client = ctx.client();
      const spec = Object.fromEntries(Object.entries({ displayName: opts.displayName, description: opts.description }).filter(([, v]) => v !== undefined));
      await client.post('/api/v1/projects', { metadata: { name }, spec });
      ctx.save({ project: name });
      ctx.out(`Now using project "${name}" on server "${client.server}".`);
    });

  program
    .command('projects')
    .description('list the projects you can see, marking the current one')
    .action(async () => {
      const client = ctx.client();
      const { items } = await client.list('/api/v1/projects');
      const current = ctx.config.project;
      if (items.length === 0) {
        ctx.out('You are not a member of any project. Create one with `berth new-project NAME`.');
        return;
      }
      const lines = items.map((p) => `  ${p.metadata.name === current ? '*' : ' '} ${projectLabel(p)}`);
      const using = current ? `Using project "${current}" on server "${client.server}".` : 'No current project; choose one with `berth project NAME`.';
      ctx.out(['You have access to the following projects and can switch between them with `berth project NAME`:', '', ...lines, '', using].join('\n'));
    });

  program
    .command('project')
    .description('switch to another project, or print the current one')
    .argument('[NAME]', 'the project to switch to')
    .option('-q, --short', 'print only the project name')
    .action(async (name: string | undefined, opts: { short?: boolean }) => {
      const client = ctx.client();
      if (name === undefined) {
        const current = ctx.project();
        ctx.out(opts.short ? current : `Using project "${current}" on server "${client.server}".`);
        return;
      }
      try {
        await client.get(`/api/v1/projects/${encodeURIComponent(name)}`);
      } catch (err) {
        if (err instanceof CliError && (err.status === 403 || err.status === 404)) {
          throw new CliError(`project "${name}" does not exist or you have no role in it`, 'list your projects with `berth projects`', { status: err.status });
        }
        throw err;
      }
      ctx.save({ project: name });
      ctx.out(opts.short ? name : `Now using project "${name}" on server "${client.server}".`);
    });
}

function projectLabel(p: ApiObject): string {
  const display = p.spec?.displayName ? ` - ${p.spec.displayName}` : '';
  const phase = p.status?.phase && p.status.phase !== 'Active' ? ` (${p.status.phase})` : '';
  return `${p.metadata.name}${display}${phase}`;
}
