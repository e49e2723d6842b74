// login, logout, whoami.
import type { Command } from 'commander';
import { ApiClient } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE, loginHint } from '../errors.ts';
import { outputOption } from '../options.ts';
import { serialize, type Format } from '../output.ts';
import { normalizeServer } from '../server-url.ts';

interface LoginResult {
  token: string;
  expiresAt: string;
  user: string;
}

export function registerSessionCommands(program: Command, ctx: Context): void {
  program
    .command('login')
    .description('log in to a Berth server and remember the token')
    .argument('[URL]', 'the API server, e.g. http://127.0.0.1:7080 (default: the last one)')
    .requiredOption('-u, --username <username>', 'who you are')
    .option('-p, --password <password>', 'your password (default: $BERTH_PASSWORD)')
    .action(async (url: string | undefined, opts: { username: string; password?: string }) => {
      const given = url ?? ctx.config.server;
      if (!given) throw new CliError('no server given', 'run `berth login URL --username U --password P`', { exitCode: EXIT_USAGE });
      const password = opts.password ?? ctx.io.env.BERTH_PASSWORD;
      if (!password) throw new CliError('no password given', 'pass --password P or set BERTH_PASSWORD', { exitCode: EXIT_USAGE });
      const server = normalizeServer(given);
      const login = await new ApiClient(server).post<LoginResult>('/api/v1/login', { username: opts.username, password }).catch((err) => {
        if (err instanceof CliError && err.status === 401) throw new CliError(err.message, 'check the username and password', { status: 401 });
        throw err;
      });
      const projects = (await new ApiClient(server, login.token).list('/api/v1/projects')).items.map((p) => p.metadata.name);
      const previous = ctx.config.server === server ? ctx.config.project : undefined;
      const project = previous && projects.includes(previous) ? previous : projects.length === 1 ? projects[0] : undefined;
      ctx.save({ server, token: login.token, user: login.user, project });
      ctx.out(`Logged into "${server}" as "${login.user}".`);
      if (project) ctx.out(`Using project "${project}".`);
      else if (projects.length === 0) ctx.out('You have no projects yet. Create one with `berth new-project NAME`.');
      else ctx.out(`You have access to ${projects.length} projects. Choose one with \`berth project NAME\` (list them with \`berth projects\`).`);
    });

  program
    .command('logout')
    .description('revoke the token on the server and forget it here')
    .action(async () => {
      const { server, token, user } = ctx.config;
      if (!token) throw new CliError('not logged in', loginHint(server));
      try {
        await ctx.client().post('/api/v1/logout');
      } catch (err) {
        // 401: the token is already expired or revoked, which is what logging out wants.
        if (!(err instanceof CliError && err.status === 401)) throw err;
      }
      ctx.save({ token: undefined, user: undefined });
      ctx.out(`Logged "${user ?? 'you'}" out on "${server}".`);
    });

  program
    .command('whoami')
    .description('print the user you are logged in as')
    .addOption(outputOption())
    .action(async (opts: { output?: Format }) => {
      const me = await ctx.client().get<{ name: string; groups: string[]; clusterAdmin: boolean }>('/api/v1/whoami');
      ctx.out(opts.output ? await serialize(me, opts.output) : me.name);
    });
}
