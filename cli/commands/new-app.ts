// new-app and new-build: from BUILDER~SOURCE to an ImageStream and a BuildConfig, as `oc new-app`
// does; new-app also makes a DeploymentConfig that rolls out each image the build pushes and a
// Service over its pods. A git source builds by itself (the platform starts the first build on
// the config change) and on pushes through webhooks; a local directory is uploaded as the source
// of the first build (new-app) or left for `start-build --from-dir` (new-build).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { BuilderImage } from '../../shared/api/env.ts';
import type { EnvVar } from '../../shared/model/build-kinds.ts';
import { appDeploymentSpec, appNameFor, buildConfigSpec, checkName, classifySource, isImageReference, serviceSpec, splitAppArg, webhookLines, type AppSource } from '../app-source.ts';
import type { ApiClient, ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { buildRef, uploadDirectory } from '../builds.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { importImage } from './registry.ts';
import { makeObjects, paramFileOption, paramOption, processTemplate } from './templates.ts';
import { followBuild, waitForBuild } from '../follow.ts';
import { scanDirectory } from '../source-archive.ts';
import { collectEnv, envOption, projectOption } from '../options.ts';
import { collectionPath, objectPath, resource } from '../resources.ts';

interface NewAppOptions {
  name?: string;
  /** new-app: the deployment's environment; new-build: the build's. */
  env: EnvVar[];
  /** new-app: the build's environment. */
  buildEnv?: EnvVar[];
  project?: string;
  follow?: boolean;
  image?: string;
}

interface KindOf {
  r: ReturnType<typeof resource>;
  label: string;
}
const BUILD_KINDS: KindOf[] = [
  { r: resource('ImageStream'), label: 'imagestream.image.berth.io' },
  { r: resource('BuildConfig'), label: 'buildconfig.build.berth.io' },
];
const APP_KINDS: KindOf[] = [...BUILD_KINDS, { r: resource('DeploymentConfig'), label: 'deploymentconfig.apps.berth.io' }, { r: resource('Service'), label: 'service' }];
export function registerNewAppCommands(program: Command, ctx: Context): void {
  const source = '<BUILDER~SOURCE>';
  const sourceHelp = "a builder (one of the platform's, or any image reference) and a local directory or git URL: python~./src, python~https://github.com/org/repo.git#branch, quay.io/org/s2i-go:1~./src";
  program
    .command('new-app')
    .description('create an ImageStream and a BuildConfig for an application and start its first build; or make the objects of a template (-f FILE, --template NAME)')
    .argument('[BUILDER~SOURCE]', sourceHelp)
    .option('--name <NAME>', 'the name of everything created (default: from the directory or repository)')
    .addOption(envOption("the deployment's environment (the running application's)"))
    .addOption(new Option('--build-env <NAME=VALUE>', 'build environment, which S2I also bakes into the image').argParser(collectEnv).default([], 'none'))
    .option('-F, --follow', 'print the first build log as it runs and exit with the outcome')
    .option('--image <REF>', 'deploy an image from another registry: imported into ImageStream NAME, with a DeploymentConfig and a Service on the port it EXPOSEs')
    .option('-f, --filename <FILE>', 'a template file to process and make the objects of')
    .option('--template <NAME>', 'a template to process and make the objects of, from the project or "openshift" (or PROJECT//NAME)')
    .addOption(paramOption())
    .addOption(paramFileOption())
    .addOption(projectOption())
    .action((arg: string | undefined, opts: NewAppOptions & TemplateOptions) => {
      if (opts.filename || opts.template) return newAppFromTemplate(ctx, arg, opts);
      if (opts.image) return newAppFromImage(ctx, arg, opts);
      if (!arg) throw new CliError('new-app needs BUILDER~SOURCE, -f FILE or --template NAME', 'e.g. `berth new-app python~./src` or `berth new-app --template postgresql-persistent`', { exitCode: EXIT_USAGE });
      return newApp(ctx, arg, opts, true);
    });

  program
    .command('new-build')
    .description('create an ImageStream and a BuildConfig; a directory source is built later with `start-build --from-dir`')
    .argument(source, sourceHelp)
    .option('--name <NAME>', 'the name of everything created (default: from the directory or repository)')
    .addOption(envOption('build environment, which S2I also bakes into the image'))
    .addOption(projectOption())
    .action((arg: string, opts: NewAppOptions) => newApp(ctx, arg, opts, false));
}

async function newApp(ctx: Context, arg: string, opts: NewAppOptions, startUpload: boolean): Promise<void> {
  const { builder: builderName, source: given } = splitAppArg(arg);
  let name = opts.name !== undefined ? checkName(opts.name) : undefined;
  const project = ctx.project(opts.project);
  const client = ctx.client();
  const source = classifySource(given, isDirectory);
  name ??= appNameFor(source);
  const builder = await findBuilder(client, builderName);
  const kinds = startUpload ? APP_KINDS : BUILD_KINDS;
  await refuseExisting(client, project, name, kinds);
  // Scanned before anything is created, so a directory too large to upload creates nothing.
  const upload = source.type === 'dir' && startUpload ? await scanDirectory(source.dir) : undefined;

  ctx.out(builderLine(builder));
  ctx.out('\n--> Creating resources ...');
  const buildEnv = startUpload ? (opts.buildEnv ?? []) : opts.env;
  const specs = [{}, buildConfigSpec({ name, source, builder, env: buildEnv, secret: () => randomBytes(20).toString('hex') }), appDeploymentSpec(name, opts.env), serviceSpec(name)];
  const bc = (await createObjects(ctx, client, project, name, kinds.map((k, i) => ({ k, spec: specs[i] }))))[1]!;
  let build: string | undefined;
  if (upload) {
    build = (await uploadDirectory(ctx, client, project, name, upload)).metadata.name;
    ctx.out(`    ${buildRef(build)} started`);
  }
  ctx.out(`--> Success\n${nextSteps(client.server, project, bc, source, build)}`);

  if (!opts.follow) return;
  build ??= `${name}-1`;
  if (source.type === 'git') {
    ctx.note(`Waiting for the platform to start build "${build}" ...`);
    await waitForBuild(client, project, build);
  }
  await followBuild(ctx, client, project, build);
}

/** new-app --image REF: the image imported into ImageStream NAME, a DC following it, a Service on its exposed port. */
async function newAppFromImage(ctx: Context, arg: string | undefined, opts: NewAppOptions): Promise<void> {
  if (arg) throw new CliError('give one of BUILDER~SOURCE or --image REF', 'an image needs no builder: `berth new-app --image quay.io/org/web:1`', { exitCode: EXIT_USAGE });
  const from = opts.image!;
  const project = ctx.project(opts.project);
  const client = ctx.client();
  const last = from.split('@')[0]!.split('/').at(-1)!.split(':')[0]!;
  const name = checkName(opts.name ?? last);
  const kinds = APP_KINDS.filter((k) => k.r.kind !== 'BuildConfig');
  await refuseExisting(client, project, name, kinds);
  ctx.out(`--> Importing image "${from}"`);
  const imported = await importImage(ctx, project, { name, tag: 'latest', from, confirm: true });
  ctx.out(`    imagestream.image.berth.io "${name}" created (${imported.status.dockerImageReference})`);
  const port = imported.status.exposedPorts[0];
  ctx.out('--> Creating resources ...');
  const objects = [{ k: kinds[1]!, spec: appDeploymentSpec(name, opts.env, { port: port ?? null }) }, ...(port ? [{ k: kinds[2]!, spec: serviceSpec(name, port) }] : [])];
  try {
    await createObjects(ctx, client, project, name, objects);
  } catch (err) {
    // The import made the stream (refuseExisting saw none): it goes with the rest, so that the
    // same command can simply be run again once the cause is fixed.
    await client.delete(objectPath(kinds[0]!.r, project, name)).catch(() => {});
    throw err;
  }
  ctx.out(`--> Success\n    ${port ? `Expose it with \`berth expose svc/${name}\`.` : 'The image exposes no port: no Service was made (a worker).'}`);
}

interface TemplateOptions {
  filename?: string;
  template?: string;
  param: Record<string, string>;
  paramFile?: string;
}

/** new-app -f FILE / --template NAME: the template processed and its objects made, all or nothing; then its message. */
async function newAppFromTemplate(ctx: Context, arg: string | undefined, opts: NewAppOptions & TemplateOptions): Promise<void> {
  if (arg || (opts.filename && opts.template)) throw new CliError('give one of BUILDER~SOURCE, -f FILE or --template NAME', 'a template brings its own objects; run new-app once per template', { exitCode: EXIT_USAGE });
  const project = ctx.project(opts.project);
  const client = ctx.client();
  const out = await processTemplate(ctx, client, project, { file: opts.filename, name: opts.template }, opts);
  const name = out.template.metadata?.name ?? 'template';
  const generated = new Set<string>(((out.template.spec ?? out.template).parameters ?? []).filter((p: { generate?: string }) => p.generate).map((p: { name: string }) => p.name));
  ctx.out(`--> Deploying template "${name}" to project ${project}`);
  ctx.out(out.parameters.map((p) => `     * ${p.name}=${p.value}${generated.has(p.name) && !(p.name in opts.param) ? ' (generated)' : ''}`).join('\n'));
  ctx.out('\n--> Creating resources ...');
  await makeObjects(ctx, client, project, out.items, 'create');
  ctx.out('--> Success');
  if (out.message) ctx.out(`\n${out.message}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * One of the platform's builder images by name, or any image reference (as `oc new-app` takes
 * one): whether that image is an S2I builder is for its build to find out, and to say.
 */
async function findBuilder(client: ApiClient, name: string): Promise<BuilderImage & { own?: boolean }> {
  const { items } = await client.get<{ items: BuilderImage[] }>('/api/v1/builderimages');
  const found = items.find((b) => b.name === name);
  if (found) return found;
  if (isImageReference(name)) return { name, image: name, own: true };
  const reference = 'or give an image reference, e.g. registry.example.com/org/builder:1';
  if (items.length === 0) throw new CliError(`unknown builder image "${name}": this platform offers none`, `ask the platform administrator to configure builder images, ${reference}`);
  throw new CliError(`unknown builder image "${name}"`, `available: ${items.map((b) => b.name).join(', ')}; ${reference}`);
}

function builderLine(builder: BuilderImage & { own?: boolean }): string {
  if (builder.own) {
    return `--> Using image "${builder.image}" as the builder\n    Not one of the platform's builders: its build checks that it is an S2I builder (the io.openshift.s2i.scripts-url label, /usr/bin/env, the assemble and run scripts).`;
  }
  return `--> Found builder image "${builder.name}" (${builder.image})${builder.description ? `\n    ${builder.description}` : ''}`;
}

/** Nothing is created when anything of that name exists already, as with `oc new-app`. */
async function refuseExisting(client: ApiClient, project: string, name: string, kinds: KindOf[]): Promise<void> {
  for (const k of kinds) {
    try {
      await client.get(objectPath(k.r, project, name));
    } catch (err) {
      if (err instanceof CliError && err.status === 404) continue;
      throw err;
    }
    throw alreadyExists(k.label, name, project);
  }
}

const alreadyExists = (label: string, name: string, project: string) =>
  new CliError(`${label} "${name}" already exists in project "${project}"`, 'give the new application another name with --name NAME');

/** Creates the objects in order; when one fails, those made before it go again. */
async function createObjects(ctx: Context, client: ApiClient, project: string, name: string, objects: { k: KindOf; spec: unknown }[]): Promise<ApiObject[]> {
  const metadata = { name, labels: { app: name }, annotations: { 'berth.io/generated-by': 'BerthNewApp' } };
  const created: ApiObject[] = [];
  try {
    for (const { k, spec } of objects) {
      try {
        created.push(await client.post<ApiObject>(collectionPath(k.r, project), { metadata, spec }));
        ctx.out(`    ${k.label} "${name}" created`);
      } catch (err) {
        if (err instanceof CliError && err.status === 409) throw alreadyExists(k.label, name, project);
        throw err;
      }
    }
    return created;
  } catch (err) {
    for (const [i] of created.entries()) await client.delete(objectPath(objects[i]!.k.r, project, name)).catch(() => {});
    throw err;
  }
}

function nextSteps(server: string, project: string, bc: ApiObject, source: AppSource, build: string | undefined): string {
  const name = bc.metadata.name;
  if (source.type === 'dir') {
    return build
      ? `    Build "${build}" is under way; follow it with \`berth logs -f build/${build}\`.`
      : `    Start a build with \`berth start-build ${name} --from-dir ${source.dir}\`.`;
  }
  return [
    `    The platform starts build "${name}-1" now; follow it with \`berth logs -f build/${name}-1\`.`,
    '    Pushes start builds through these webhooks (the secret in each URL is the credential; keep them private):',
    ...webhookLines(server, project, name, bc.spec?.triggers).map((l) => `      ${l}`),
    `    Start one by hand with \`berth start-build ${name}\`.`,
  ].join('\n');
}
