// The `berth` program: builds the commander tree for one run and turns whatever goes wrong into
// exactly two lines on stderr (`error: …`, `hint: …`) and an exit code — 1 for failures, 2 for
// usage errors. `run` is what tests call; cli/main.ts calls it with the process's own io.
// The commands come in groups (cli/commands/*.ts), each loaded when asked for: a run of a command
// (`exec`, `whoami`, `get`…) loads and builds the group that defines it only, so the bundle parses
// and commander builds a handful of commands rather than all of them; help and a word that is no
// command build them all.
import { Command, CommanderError } from 'commander';
import { Context } from './context.ts';
import { EXIT_USAGE, reportError, reportFailure } from './errors.ts';
import type { Io } from './io.ts';

export type { Io } from './io.ts';

export async function run(argv: string[], io: Io): Promise<number> {
  // exec and rsh in their plain forms go without commander (cli/quick-exec.ts); help, mistakes
  // and the rarer forms come here.
  if (argv[0] === 'exec' || argv[0] === 'rsh') {
    const code = await (await import('./quick-exec.ts')).runQuick(argv, io);
    if (code !== undefined) return code;
  }
  const ctx = new Context(io);
  const program = await buildProgram(ctx, argv[0]);
  let usageHint = 'see `berth --help`';
  captureUsageErrors(program, (hint) => (usageHint = hint));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, io, usageHint);
    return reportFailure(io, err);
  } finally {
    await ctx.close();
  }
}

type Register = (program: Command, ctx: Context) => void;

/** The groups of commands, in the order `berth --help` lists them. */
export const COMMAND_GROUPS = {
  session: async () => (await import('./commands/session.ts')).registerSessionCommands,
  signup: async () => (await import('./commands/trials.ts')).registerSignupCommand,
  projects: async () => (await import('./commands/projects.ts')).registerProjectCommands,
  objects: async () => (await import('./commands/objects.ts')).registerObjectCommands,
  newApp: async () => (await import('./commands/new-app.ts')).registerNewAppCommands,
  registry: async () => (await import('./commands/registry.ts')).registerRegistryCommands,
  builds: async () => (await import('./commands/builds.ts')).registerBuildCommands,
  deploy: async () => (await import('./commands/deploy.ts')).registerDeployCommands,
  routes: async () => (await import('./commands/routes.ts')).registerRouteCommands,
  templates: async () => (await import('./commands/templates.ts')).registerTemplateCommands,
  config: async () => (await import('./commands/config.ts')).registerConfigCommands,
  volumes: async () => (await import('./commands/volumes.ts')).registerVolumeCommands,
  pods: async () => (await import('./commands/pods.ts')).registerPodCommands,
  run: async () => (await import('./commands/run.ts')).registerRunCommand,
  status: async () => (await import('./commands/status.ts')).registerStatusCommands,
  adm: async () => (await import('./commands/adm.ts')).registerAdmCommands,
} satisfies Record<string, () => Promise<Register>>;

export type CommandGroup = keyof typeof COMMAND_GROUPS;

/**
 * Which groups define each top-level command (`create` and `set` take subcommands from several).
 * test/cli/program.test.ts holds this table to the groups.
 */
export const GROUPS_OF: Readonly<Record<string, readonly CommandGroup[]>> = {
  login: ['session'], logout: ['session'], whoami: ['session'],
  signup: ['signup'],
  'new-project': ['projects'], projects: ['projects'], project: ['projects'],
  get: ['objects'], describe: ['objects'], delete: ['objects'],
  'new-app': ['newApp'], 'new-build': ['newApp'],
  registry: ['registry'], 'import-image': ['registry'],
  'start-build': ['builds'], 'cancel-build': ['builds'], logs: ['builds'],
  rollout: ['deploy'], scale: ['deploy'], idle: ['deploy'], unidle: ['deploy'],
  set: ['deploy', 'volumes'],
  expose: ['routes'],
  create: ['routes', 'templates', 'config', 'volumes'],
  process: ['templates'], apply: ['templates'],
  exec: ['pods'], rsh: ['pods'], 'port-forward': ['pods'],
  run: ['run'],
  status: ['status'],
  adm: ['adm'],
};

/** The program with the groups that define `first` (a command's name), or with every group (help, a word that is no command). */
export async function buildProgram(ctx: Context, first?: string, groups: readonly CommandGroup[] = (first !== undefined && Object.hasOwn(GROUPS_OF, first) && GROUPS_OF[first]) || (Object.keys(COMMAND_GROUPS) as CommandGroup[])): Promise<Command> {
  const program = new Command('berth')
    .description('the command-line client of Berth, a multi-tenant platform-as-a-service')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) });
  // In the order of COMMAND_GROUPS, whatever the order asked: a command's subcommands list alike.
  const registers = await Promise.all((Object.keys(COMMAND_GROUPS) as CommandGroup[]).filter((g) => groups.includes(g)).map((g) => COMMAND_GROUPS[g]()));
  for (const register of registers) register(program, ctx);
  return program;
}

/**
 * Commander prints usage errors itself, on several lines with its own wording; instead remember
 * which command complained (for the hint) and let `run` print the error.
 */
function captureUsageErrors(cmd: Command, setHint: (hint: string) => void): void {
  const path = commandPath(cmd);
  cmd.configureOutput({
    ...cmd.configureOutput(),
    outputError: (message) => {
      const didYouMean = /\(Did you mean (?:one of )?(.+)\?\)/.exec(message)?.[1];
      setHint(didYouMean ? `did you mean ${didYouMean}? see \`${path} --help\`` : `see \`${path} --help\``);
    },
  });
  for (const sub of cmd.commands) captureUsageErrors(sub, setHint);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function commanderExit(err: CommanderError, io: Io, hint: string): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
  // `berth` or `berth adm` alone: commander has printed the help to stderr already.
  if (err.code === 'commander.help') return EXIT_USAGE;
  const message = err.message.split('\n')[0]!.replace(/^error:\s*/, '');
  reportError(io, message, hint);
  return err.exitCode === 0 ? 0 : EXIT_USAGE;
}

