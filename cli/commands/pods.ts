// exec, rsh and port-forward: commands, shells and TCP connections into a running pod, over the
// API's WebSocket. This group loads only when one of these runs (cli/program.ts), so the session
// module and the WebSocket library come with it rather than a step later.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE, orListHint } from '../errors.ts';
import { projectOption } from '../options.ts';
import { runPodSession } from '../pod-session.ts';
import { podPath, podTarget, resolvePod } from '../pods.ts';

/**
 * rsh's command: the app's own environment where the image has an S2I `run` script (it takes a
 * command and runs it after setting up what the app runs with: virtualenv, the app directory,
 * the deploy-env hook), else the command as it is; bash when there is one, else sh.
 */
export const RSH_SCRIPT =
  'r="${STI_SCRIPTS_PATH:-/usr/libexec/s2i}/run"; ' +
  '[ $# -gt 0 ] || if command -v bash >/dev/null 2>&1; then set -- bash -i; else set -- sh -i; fi; ' +
  'if [ -x "$r" ]; then exec "$r" "$@"; else exec "$@"; fi';

async function session(ctx: Context, arg: string, projectOpt: string | undefined, command: string[], stdin: boolean, tty: boolean): Promise<void> {
  const project = ctx.project(projectOpt);
  const client = ctx.client();
  const pod = await resolvePod(client, project, podTarget(arg));
  const code = await orListHint('pods', project, () => runPodSession(ctx, client, { path: `${podPath(project, pod)}/exec`, command, stdin, tty }));
  if (code !== 0) throw CliError.exit(code);
}

/** LOCAL:REMOTE, :REMOTE (any free local port) or PORT (the same both ends). */
export function parsePortPair(arg: string): { local: number; remote: number } {
  const m = /^(?:(\d*):)?(\d+)$/.exec(arg);
  const port = (s: string) => (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 65_535 ? Number(s) : undefined);
  const remote = m ? port(m[2]!) : undefined;
  const local = m?.[1] === undefined ? remote : m[1] === '' ? 0 : port(m[1]);
  if (remote === undefined || local === undefined) throw new CliError(`"${arg}" is not a port pair`, 'give LOCAL:REMOTE (ports 1-65535), :REMOTE for any free local port, or PORT for the same on both ends', { exitCode: EXIT_USAGE });
  return { local, remote };
}

export function registerPodCommands(program: Command, ctx: Context): void {
  program
    .command('exec')
    .description("run a command in a pod's container; stdout and stderr come back apart, and its exit code is berth's")
    .argument('<POD>', 'POD, pod/NAME or dc/NAME (a running pod of it)')
    .argument('<COMMAND...>', 'the command and its arguments, after --')
    .option('-i, --stdin', 'pass stdin to the command')
    .option('-t, --tty', 'give the command a terminal')
    .addOption(projectOption())
    .action(async (arg: string, command: string[], opts: { stdin?: boolean; tty?: boolean; project?: string }) => {
      await session(ctx, arg, opts.project, command, Boolean(opts.stdin), Boolean(opts.tty));
    });

  program
    .command('rsh')
    .description("open a shell (or run COMMAND) in a pod, in the app's own run-time environment and as its user")
    .argument('<POD>', 'POD, pod/NAME or dc/NAME (a running pod of it)')
    .argument('[COMMAND...]', 'a command instead of the shell, after --')
    .option('-T, --no-tty', 'no terminal, even when stdin is one')
    .addOption(projectOption())
    .action(async (arg: string, command: string[], opts: { tty: boolean; project?: string }) => {
      const interactive = command.length === 0;
      const tty = opts.tty && Boolean(ctx.io.stdin?.isTTY);
      if (interactive && !ctx.io.stdin) throw new CliError('rsh needs an input to read', 'run it in a terminal, or give a COMMAND', { exitCode: EXIT_USAGE });
      await session(ctx, arg, opts.project, ['/bin/sh', '-c', RSH_SCRIPT, 'rsh', ...command], true, tty);
    });

  program
    .command('port-forward')
    .description("forward local TCP ports to a pod's ports (on 127.0.0.1, many connections at once, until Ctrl-C)")
    .argument('<POD>', 'POD, pod/NAME or dc/NAME (a running pod of it)')
    .argument('<PORTS...>', 'LOCAL:REMOTE, :REMOTE (any free local port) or PORT (the same on both ends)')
    .addOption(projectOption())
    .action(async (arg: string, ports: string[], opts: { project?: string }) => {
      const pairs = ports.map(parsePortPair);
      const project = ctx.project(opts.project);
      const client = ctx.client();
      const pod = await resolvePod(client, project, podTarget(arg));
      const path = `${podPath(project, pod)}/portforward`;
      // Refused now (a `view` member, a pod not placed yet) rather than at the first connection.
      // An API that brokers sessions (AWS) says so: each connection then asks for a session of its own.
      let transport: 'websocket' | 'brokered' = 'websocket';
      for (const p of pairs) {
        const answer = await orListHint('pods', project, () => client.get<{ transport?: string }>(`${path}?port=${p.remote}`));
        if (answer.transport === 'brokered') transport = 'brokered';
      }
      const { portForward } = await import('../port-forward.ts');
      await portForward(ctx, client, path, pairs, ctx.io.signal, transport);
    });
}
