// Trials from the command line: `berth signup` for anyone (when the platform allows it), and the
// cluster admin's `adm trials`, `adm trial expire|extend|convert`, `adm trial-plan`,
// `adm project-limit` and `adm audit`.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, type ListObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { intBetween, outputOption } from '../options.ts';
import { serialize, table, type Format } from '../output.ts';
import { normalizeServer } from '../server-url.ts';

interface SignUpResult {
  token: string;
  user: string;
  project: string;
  trialExpires: string;
}

export function registerSignupCommand(program: Command, ctx: Context): void {
  program
    .command('signup')
    .description('sign up for a trial: a user and one project, logged in and switched to it')
    .argument('<URL>', 'the API server, e.g. http://127.0.0.1:7080')
    .requiredOption('-u, --username <username>', 'the user name you want (lower-case letters, digits and "-")')
    .option('-p, --password <password>', 'your password, 8 characters or more (default: $BERTH_PASSWORD)')
    .option('--project <project>', 'the name of your project (default: your user name)')
    .action(async (url: string, opts: { username: string; password?: string; project?: string }) => {
      const password = opts.password ?? ctx.io.env.BERTH_PASSWORD;
      if (!password) throw new CliError('no password given', 'pass --password P or set BERTH_PASSWORD', { exitCode: EXIT_USAGE });
      const server = normalizeServer(url);
      const r = await new ApiClient(server).post<SignUpResult>('/api/v1/signup', { username: opts.username, password, ...(opts.project ? { project: opts.project } : {}) });
      ctx.save({ server, token: r.token, user: r.user, project: r.project });
      ctx.out(`Signed up and logged into "${server}" as "${r.user}".`);
      ctx.out(`Using project "${r.project}". Your trial ends at ${r.trialExpires}; the project and everything in it are then deleted.`);
    });
}

interface TrialEntry {
  user: string;
  expires: string;
  projects: string[];
}

export function registerTrialAdmCommands(adm: Command, ctx: Context): void {
  adm
    .command('trials')
    .description('list trial users with the end of their trial (cluster-admin)')
    .addOption(outputOption())
    .action(async (opts: { output?: Format }) => {
      const { items } = await ctx.client().get<{ items: TrialEntry[] }>('/api/v1/trials');
      if (opts.output) return ctx.out(await serialize(items, opts.output));
      if (!items.length) return ctx.note('No trials.');
      ctx.out(table(['USER', 'EXPIRES', 'PROJECTS'], items.map((t) => [t.user, t.expires, t.projects.join(',') || '<none>'])));
    });

  const trial = adm.command('trial').description("change one user's trial (cluster-admin)");
  trial
    .command('extend')
    .description('add days to a trial')
    .argument('<USER>', 'the trial user')
    .requiredOption('--days <N>', 'days to add', intBetween(1, 365))
    .action(async (user: string, opts: { days: number }) => {
      const r = await ctx.client().post<{ expires: string }>(`/api/v1/trials/${encodeURIComponent(user)}/extend`, { days: opts.days });
      ctx.out(`trial of "${user}" now ends at ${r.expires}`);
    });
  const actions = [
    { verb: 'expire', description: 'end a trial now: its projects and the user are deleted', done: (u: string) => `trial of "${u}" ended; its projects and the user are being deleted` },
    { verb: 'convert', description: 'make a trial user a normal user (the quota stays until changed)', done: (u: string) => `user "${u}" is no longer on a trial` },
  ];
  for (const a of actions) {
    trial
      .command(a.verb)
      .description(a.description)
      .argument('<USER>', 'the trial user')
      .action(async (user: string) => {
        await ctx.client().post(`/api/v1/trials/${encodeURIComponent(user)}/${a.verb}`);
        ctx.out(a.done(user));
      });
  }

  adm
    .command('trial-plan')
    .description('print the quota and limit range trial projects get, or replace them with -f (cluster-admin)')
    .option('-f, --filename <FILE>', 'a YAML or JSON file with {quota: {hard}, limitRange: {limits}}')
    .addOption(outputOption().default('yaml'))
    .action(async (opts: { filename?: string; output: Format }) => {
      if (opts.filename) {
        const { parse } = await import('../yaml.ts');
        let spec: unknown;
        try {
          spec = parse(readFileSync(opts.filename, 'utf8'));
        } catch (err) {
          throw new CliError(`cannot read ${opts.filename}: ${(err as Error).message}`, 'give a YAML or JSON file with quota and limitRange', { exitCode: EXIT_USAGE });
        }
        await ctx.client().put('/api/v1/trialplan', { spec });
        return ctx.out('trial plan replaced; new trial projects get it');
      }
      const plan = await ctx.client().get<{ spec: unknown }>('/api/v1/trialplan');
      ctx.out(await serialize(plan.spec, opts.output));
    });

  adm
    .command('project-limit')
    .description('set how many projects a user may create, or `default` for the platform limit (cluster-admin)')
    .argument('<USER>', 'the user')
    .argument('<N>', 'a whole number, or default')
    .action(async (user: string, n: string) => {
      const projects = n === 'default' ? null : intBetween(0, 10_000)(n);
      await ctx.client().put(`/api/v1/users/${encodeURIComponent(user)}/projectlimit`, { projects });
      ctx.out(projects === null ? `user "${user}" may create the platform's number of projects` : `user "${user}" may create ${projects} project${projects === 1 ? '' : 's'}`);
    });

  adm
    .command('audit')
    .description('audit events, oldest first: sign-ups, failed logins, locks, project creations, refusals, expiries, sessions into pods (cluster-admin)')
    .option('--user <USER>', 'only events about this user')
    .addOption(outputOption())
    .action(async (opts: { user?: string; output?: Format }) => {
      const list: ListObject = await ctx.client().list('/api/v1/audit');
      const items = list.items.filter((e) => !opts.user || e.spec?.user === opts.user);
      if (opts.output) return ctx.out(await serialize(items, opts.output));
      if (!items.length) return ctx.note('No audit events.');
      ctx.out(table(['TIME', 'TYPE', 'USER', 'ADDRESS', 'PROJECT', 'MESSAGE'], items.map((e) => [e.spec.time, e.spec.type, e.spec.user ?? '', e.spec.address ?? '', e.spec.project ?? '', e.spec.message])));
    });
}
