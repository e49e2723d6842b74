// adm: cluster administration — users, groups, and project policy (role bindings).
import { Argument, type Command } from 'commander';
import { ROLE_NAMES } from '../../shared/model/kind-names.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { projectOption } from '../options.ts';
import { changeRoleBinding, type Change, type Subject } from '../role-binding.ts';
import { registerTrialAdmCommands } from './trials.ts';
import { registerPruneCommands } from './prune.ts';

export function registerAdmCommands(program: Command, ctx: Context): void {
  const adm = program.command('adm').description('cluster administration: users, groups, policy, trials, audit');

  adm
    .command('create-user')
    .description('create a user with a password (cluster-admin)')
    .argument('<USER>', 'the user name')
    .requiredOption('-p, --password <password>', 'the initial password (8 characters or more)')
    .option('--full-name <name>', "the user's full name")
    .action(async (name: string, opts: { password: string; fullName?: string }) => {
      await ctx.client().post('/api/v1/users', { name, password: opts.password, fullName: opts.fullName });
      ctx.out(`user "${name}" created`);
    });

  adm
    .command('create-group')
    .description('create a group, optionally with members (cluster-admin)')
    .argument('<GROUP>', 'the group name')
    .argument('[USER...]', 'members')
    .action(async (name: string, users: string[]) => {
      await ctx.client().post('/api/v1/groups', { metadata: { name }, spec: { users } });
      ctx.out(`group "${name}" created${users.length ? ` with ${users.map((u) => `"${u}"`).join(', ')}` : ''}`);
    });

  registerPruneCommands(adm, ctx);

  const policy = adm.command('policy').description("grant and revoke roles in a project (the project's admins)");
  const verbs: { command: string; change: Change; kind: Subject['kind'] }[] = [
    { command: 'add-role-to-user', change: 'add', kind: 'User' },
    { command: 'remove-role-from-user', change: 'remove', kind: 'User' },
    { command: 'add-role-to-group', change: 'add', kind: 'Group' },
    { command: 'remove-role-from-group', change: 'remove', kind: 'Group' },
  ];
  for (const v of verbs) {
    const who = v.kind.toUpperCase();
    policy
      .command(v.command)
      .description(`${v.change === 'add' ? 'grant' : 'revoke'} a role ${v.change === 'add' ? 'to' : 'from'} a ${v.kind.toLowerCase()} in a project`)
      .addArgument(new Argument('<ROLE>', 'admin, edit or view').choices(ROLE_NAMES))
      .argument(`<${who}>`, `the ${v.kind.toLowerCase()} name`)
      .addOption(projectOption())
      .action(async (role: string, name: string, opts: { project?: string }) => {
        const project = ctx.project(opts.project);
        const subject = `${v.kind.toLowerCase()} "${name}"`;
        const outcome = await changeRoleBinding(ctx.client(), project, role, { kind: v.kind, name }, v.change);
        if (outcome === 'changed') {
          ctx.out(`role "${role}" ${v.change === 'add' ? 'added to' : 'removed from'} ${subject} in project "${project}"`);
        } else if (v.change === 'add') {
          ctx.out(`${subject} already has role "${role}" in project "${project}"`);
        } else {
          throw new CliError(`${subject} does not have role "${role}" in project "${project}"`, `see the bindings with \`berth get rolebindings -n ${project}\``);
        }
      });
  }
  registerTrialAdmCommands(adm, ctx);
}
