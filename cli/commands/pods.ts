// exec, rsh and port-forward: commands, shells and TCP connections into a running pod, over the
// API's WebSocket. This group loads only when one of these runs (cli/program.ts), so the session
// module and the WebSocket library come with it rather than a step later. What exec and rsh do is
// in cli/pod-exec.ts, which the quick path (cli/quick-exec.ts) runs without commander.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE, orListHint } from '../errors.ts';
import { projectOption } from '../options.ts';
import { execInPod, rshInPod, type ExecArgs, type RshArgs } from '../pod-exec.ts';
import { podPath, podTarget, resolvePod } from '../pods.ts';

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
    .action((pod: string, command: string[], opts: ExecArgs['opts']) => execInPod(ctx, { pod, command, opts }));

  program
    .command('rsh')
    .description("open a shell (or run COMMAND) in a pod, in the app's own run-time environment and as its user")
    .argument('<POD>', 'POD, pod/NAME or dc/NAME (a running pod of it)')
    .argument('[COMMAND...]', 'a command instead of the shell, after --')
    .option('-T, --no-tty', 'no terminal, even when stdin is one')
    .addOption(projectOption())
    .action((pod: string, command: string[], opts: RshArgs['opts']) => rshInPod(ctx, { pod, command, opts }));

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
