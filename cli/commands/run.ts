// run: a command in a one-off pod of a deploymentconfig (shared/deploy/run-pod.ts), as
// `heroku run`: the pod is started from the running template, its output followed, its exit code
// returned as berth's, and the pod removed; `--detach` leaves it running and prints its name.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE, orListHint } from '../errors.ts';
import { printPodLog } from '../follow.ts';
import { projectOption } from '../options.ts';
import { podPath } from '../pods.ts';
import { objectPath, resource } from '../resources.ts';

const POLL_MS = 200;
const done = (p: ApiObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** `dc/NAME`, `deploymentconfig/NAME` or NAME → the DeploymentConfig's name. */
function dcName(arg: string): string {
  const at = arg.indexOf('/');
  const name = at < 0 ? arg : arg.slice(at + 1);
  const kind = at < 0 ? 'DeploymentConfig' : (() => {
    try {
      return resource(arg.slice(0, at)).kind;
    } catch {
      return undefined;
    }
  })();
  if (kind !== 'DeploymentConfig' || !name || name.includes('/')) throw new CliError(`"${arg}" does not name a deploymentconfig`, 'give dc/NAME', { exitCode: EXIT_USAGE });
  return name;
}

/** Polls the pod until `ok` holds; tells once what it waits for when it is slow to start. */
async function waitFor(ctx: Context, client: ApiClient, path: string, ok: (p: ApiObject) => boolean, timeoutMs: number): Promise<ApiObject> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (let i = 0; ; i++) {
    const pod = await client.get<ApiObject>(path);
    if (ok(pod)) return pod;
    if (Date.now() > deadline) throw new CliError(`pod ${pod.metadata.name} did not get there in ${timeoutMs / 1000} s (${pod.status?.phase}${pod.status?.reason ? `, ${pod.status.reason}` : ''})`, `see \`berth describe pod/${pod.metadata.name}\``);
    if (!told && i === 25) {
      told = true;
      ctx.note(`waiting for pod ${pod.metadata.name} to start (${pod.status?.reason ?? pod.status?.phase ?? 'Pending'})…`);
    }
    await sleep(POLL_MS);
  }
}

export function registerRunCommand(program: Command, ctx: Context): void {
  program
    .command('run')
    .description("run a command once in a new pod of a deploymentconfig (its image, env, secrets, volumes and limits); its output follows, its exit code is berth's, and the pod is removed")
    .argument('<DC>', 'dc/NAME')
    .argument('<COMMAND...>', 'the command and its arguments, after --')
    .option('--image <IMAGE>', "another image instead of the deploymentconfig's")
    .option('-d, --detach', 'leave the pod running and print its name')
    .option('--timeout <SECONDS>', 'how long to wait for the pod to start', '300')
    .addOption(projectOption())
    .action(async (arg: string, command: string[], opts: { image?: string; detach?: boolean; timeout: string; project?: string }) => {
      const name = dcName(arg);
      const timeoutMs = Number(opts.timeout) * 1000;
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout "${opts.timeout}" is not a number of seconds`, 'give e.g. --timeout 600', { exitCode: EXIT_USAGE });
      const project = ctx.project(opts.project);
      const client = ctx.client();
      const body = { command, ...(opts.image ? { image: opts.image } : {}) };
      const pod = await orListHint('dc', project, () => client.post<ApiObject>(`${objectPath(resource('DeploymentConfig'), project, name)}/run`, body));
      const podName = pod.metadata.name;
      if (opts.detach) {
        ctx.out(podName);
        return;
      }
      const path = podPath(project, podName);
      try {
        const started = await waitFor(ctx, client, path, (p) => Boolean(p.spec?.host) && (p.status?.phase === 'Running' || done(p)), timeoutMs);
        if (started.status?.phase === 'Running' || started.status?.containerID || started.status?.exitCode !== undefined) await printPodLog(ctx, client, path, project, { follow: true });
        const ended = await waitFor(ctx, client, path, done, 60_000);
        const code = ended.status?.exitCode;
        if (code === undefined) throw new CliError(`pod ${podName} ended without running the command: ${ended.status?.message ?? ended.status?.reason ?? ended.status?.phase}`, `see \`berth describe pod/${podName}\``);
        if (code !== 0) throw CliError.exit(code);
      } finally {
        await client.delete(path).catch(() => undefined);
      }
    });
}
