// `berth registry login` (docker login to the platform registry with the session's token) and
// `berth import-image NAME[:TAG] --from REF [--confirm]` (an image from another registry into the
// project's image stream), as `oc registry login` and `oc import-image`.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { projectOption } from '../options.ts';

export interface ImportResult {
  status: { tag: string; image: string; dockerImageReference: string; exposedPorts: number[] };
}

export function registerRegistryCommands(program: Command, ctx: Context): void {
  const registry = program.command('registry').description("the platform's image registry");
  registry
    .command('login')
    .description("run `docker login` to the platform registry with this session's token (its password stays off the command line)")
    .option('--print', 'print the docker login command instead of running it')
    .option('--image-stream <NAME...>', 'on a registry with logins per project (ECR on AWS): also make repositories for these image streams')
    .addOption(projectOption())
    .action(async (opts: { print?: boolean; imageStream?: string[]; project?: string }) => {
      const client = ctx.client();
      const registry = await client.get<{ host: string; login?: 'project' }>('/api/v1/registry');
      let { host } = registry;
      let user: string;
      let password: string;
      let pushTo: string;
      if (registry.login === 'project') {
        // The registry has its own credentials (ECR): a login for this project's repositories only, for an hour.
        const project = ctx.project(opts.project);
        const login = await client.post<{ host: string; username: string; password: string; expiresAt: string; repositoryPrefix: string }>(
          `/api/v1/projects/${encodeURIComponent(project)}/registrycredentials`,
          opts.imageStream?.length ? { imageStreams: opts.imageStream } : {},
        );
        ({ host, username: user, password } = login);
        pushTo = `${login.repositoryPrefix}NAME:TAG\` (project ${project}, until ${login.expiresAt})`;
      } else {
        user = (await client.get<{ name: string }>('/api/v1/whoami')).name;
        password = ctx.config.token!;
        pushTo = `${host}/${ctx.config.project ?? 'PROJECT'}/NAME:TAG\``;
      }
      if (opts.print) {
        ctx.out(`echo '${password}' | docker login ${host} -u ${user} --password-stdin`);
        return;
      }
      const code = await dockerLogin(host, user, password, ctx);
      if (code !== 0) throw new CliError(`docker login to ${host} failed`, 'is Docker installed and running? `berth registry login --print` shows the command to run elsewhere');
      ctx.out(`Logged in to ${host} as ${user}; push with \`docker push ${pushTo}`);
    });

  program
    .command('import-image')
    .description("copy an image from another registry into an image stream tag of the project (ImageChange triggers roll it out)")
    .argument('<NAME[:TAG]>', 'the image stream (and tag, default latest)')
    .requiredOption('--from <REF>', 'the image to import, e.g. quay.io/org/app:1')
    .option('--confirm', 'create the image stream when it does not exist')
    .addOption(projectOption())
    .action(async (arg: string, opts: { from: string; confirm?: boolean; project?: string }) => {
      const [name, tag, extra] = arg.split(':');
      if (!name || extra !== undefined || tag === '') throw new CliError(`"${arg}" is not NAME or NAME:TAG`, 'e.g. `berth import-image web:v1 --from quay.io/org/web:1`', { exitCode: EXIT_USAGE });
      const out = await importImage(ctx, ctx.project(opts.project), { name, tag: tag ?? 'latest', from: opts.from, confirm: opts.confirm ?? false });
      ctx.out(`imagestream "${name}" tag ${out.status.tag} imported from ${opts.from}\n  ${out.status.dockerImageReference}${out.status.exposedPorts.length ? `\n  exposes ${out.status.exposedPorts.join(', ')}` : ''}`);
    });
}

/** An import run as a task (AWS): Pending until the task stops, then Complete (the image) or Failed (why). */
interface TaskImport {
  status: { tag: string; phase: 'Pending' | 'Complete' | 'Failed'; image?: string; dockerImageReference?: string; exposedPorts?: number[]; message?: string; suggestion?: string };
}

/** How often the CLI asks about an import run as a task (BERTH_IMPORT_POLL_MS overrides it). */
const IMPORT_POLL_MS = 2000;

/**
 * Imports `from` into the stream's tag. The all-in-one platform copies within the request; on
 * AWS the API starts a task (202, Pending) and this waits for it to end, with the same result.
 */
export async function importImage(ctx: Context, project: string, body: { name: string; tag: string; from: string; confirm: boolean }): Promise<ImportResult> {
  const client = ctx.client();
  const path = `/api/v1/projects/${encodeURIComponent(project)}/imagestreamimports`;
  const answer = await client.post<ImportResult | TaskImport>(path, body);
  if (!('phase' in answer.status)) return answer as ImportResult;
  let out = answer as TaskImport;
  ctx.note(`Importing ${body.from} into ${body.name}:${body.tag} ...`);
  while (out.status.phase === 'Pending') {
    await sleep(Number(ctx.io.env.BERTH_IMPORT_POLL_MS) || IMPORT_POLL_MS);
    out = await client.get<TaskImport>(`${path}/${encodeURIComponent(body.name)}?tag=${encodeURIComponent(body.tag)}`);
  }
  const s = out.status;
  if (s.phase === 'Failed' || !s.image || !s.dockerImageReference) throw new CliError(s.message ?? `the import of ${body.from} failed`, s.suggestion ?? 'run berth import-image again');
  return { status: { tag: s.tag, image: s.image, dockerImageReference: s.dockerImageReference, exposedPorts: s.exposedPorts ?? [] } };
}

function dockerLogin(host: string, user: string, token: string, ctx: Context): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn('docker', ['login', host, '-u', user, '--password-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => ctx.io.stdout.write(d));
    p.stderr.on('data', (d) => ctx.io.stderr.write(d));
    p.once('error', () => resolve(127));
    p.once('close', (code) => resolve(code ?? 1));
    p.stdin.end(token);
  });
}
