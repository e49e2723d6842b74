// The `berth` program: builds the commander tree for one run and turns whatever goes wrong into
// exactly two lines on stderr (`error: …`, `hint: …`) and an exit code — 1 for failures, 2 for
// usage errors. `run` is what tests call; cli/main.ts calls it with the process's own io.
import { Command, CommanderError } from 'commander';
import { registerAdmCommands } from './commands/adm.ts';
import { registerBuildCommands } from './commands/builds.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerDeployCommands } from './commands/deploy.ts';
import { registerNewAppCommands } from './commands/new-app.ts';
import { registerRegistryCommands } from './commands/registry.ts';
import { registerObjectCommands } from './commands/objects.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerPodCommands } from './commands/pods.ts';
import { registerProjectCommands } from './commands/projects.ts';
import { registerRouteCommands } from './commands/routes.ts';
import { registerSessionCommands } from './commands/session.ts';
import { registerStatusCommands } from './commands/status.ts';
import { registerTemplateCommands } from './commands/templates.ts';
import { registerVolumeCommands } from './commands/volumes.ts';
import { registerSignupCommand } from './commands/trials.ts';
import { Context } from './context.ts';
import { CliError, EXIT_USAGE, oneLine } from './errors.ts';
import type { Io } from './io.ts';

export type { Io } from './io.ts';

export async function run(argv: string[], io: Io): Promise<number> {
  const ctx = new Context(io);
  const program = buildProgram(ctx);
  let usageHint = 'see `berth --help`';
  captureUsageErrors(program, (hint) => (usageHint = hint));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, io, usageHint);
    const e = err instanceof CliError ? err : new CliError(oneLine((err as Error)?.message ?? String(err)), 'this looks like a bug in berth; please report it');
    if (e.message) report(io, e.message, e.hint);
    return e.exitCode;
  }
}

export function buildProgram(ctx: Context): Command {
  const program = new Command('berth')
    .description('the command-line client of Berth, a multi-tenant platform-as-a-service')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) });
  registerSessionCommands(program, ctx);
  registerSignupCommand(program, ctx);
  registerProjectCommands(program, ctx);
  registerObjectCommands(program, ctx);
  registerNewAppCommands(program, ctx);
  registerRegistryCommands(program, ctx);
  registerBuildCommands(program, ctx);
  registerDeployCommands(program, ctx);
  registerRouteCommands(program, ctx);
  registerTemplateCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerVolumeCommands(program, ctx);
  registerPodCommands(program, ctx);
  registerRunCommand(program, ctx);
  registerStatusCommands(program, ctx);
  registerAdmCommands(program, ctx);
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
  report(io, message, hint);
  return err.exitCode === 0 ? 0 : EXIT_USAGE;
}

function report(io: Io, message: string, hint: string | undefined): void {
  io.stderr.write(`error: ${oneLine(message)}\n`);
  if (hint) io.stderr.write(`hint: ${oneLine(hint)}\n`);
}

