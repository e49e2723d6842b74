// What `berth exec` and `berth rsh` do once their arguments are known, shared by the commander
// commands (cli/commands/pods.ts) and the quick path that runs them without commander
// (cli/quick-exec.ts): no commander, no zod, so the quick path's single file stays small.
import type { Context } from './context.ts';
import { CliError, EXIT_USAGE, orListHint } from './errors.ts';
import { runPodSession } from './pod-session.ts';
import { podPath, podTarget, resolvePod } from './pods.ts';

/**
 * rsh's command: the app's own environment where the image has an S2I `run` script (it takes a
 * command and runs it after setting up what the app runs with: virtualenv, the app directory,
 * the deploy-env hook), else the command as it is; bash when there is one, else sh.
 */
export const RSH_SCRIPT =
  'r="${STI_SCRIPTS_PATH:-/usr/libexec/s2i}/run"; ' +
  '[ $# -gt 0 ] || if command -v bash >/dev/null 2>&1; then set -- bash -i; else set -- sh -i; fi; ' +
  'if [ -x "$r" ]; then exec "$r" "$@"; else exec "$@"; fi';

/** exec's arguments and options, as commander gives them to its action. */
export interface ExecArgs {
  pod: string;
  command: string[];
  opts: { stdin?: boolean; tty?: boolean; project?: string };
}

/** rsh's arguments and options, as commander gives them to its action (`tty` is false with -T). */
export interface RshArgs {
  pod: string;
  command: string[];
  opts: { tty: boolean; project?: string };
}

export function execInPod(ctx: Context, { pod, command, opts }: ExecArgs): Promise<void> {
  return session(ctx, pod, opts.project, command, Boolean(opts.stdin), Boolean(opts.tty));
}

export function rshInPod(ctx: Context, { pod, command, opts }: RshArgs): Promise<void> {
  const interactive = command.length === 0;
  const tty = opts.tty && Boolean(ctx.io.stdin?.isTTY);
  if (interactive && !ctx.io.stdin) throw new CliError('rsh needs an input to read', 'run it in a terminal, or give a COMMAND', { exitCode: EXIT_USAGE });
  return session(ctx, pod, opts.project, ['/bin/sh', '-c', RSH_SCRIPT, 'rsh', ...command], true, tty);
}

async function session(ctx: Context, arg: string, projectOpt: string | undefined, command: string[], stdin: boolean, tty: boolean): Promise<void> {
  const project = ctx.project(projectOpt);
  const client = ctx.client();
  const pod = await resolvePod(client, project, podTarget(arg));
  const code = await orListHint('pods', project, () => runPodSession(ctx, client, { path: `${podPath(project, pod)}/exec`, command, stdin, tty }));
  if (code !== 0) throw CliError.exit(code);
}
