// What `berth new-app BUILDER~SOURCE` means, as `oc new-app` reads it: which builder image,
// whether the source is a git repository or a local directory, the name of what gets created,
// and the BuildConfig spec it becomes. Pure, so the rules are table-tested.
import { basename, resolve } from 'node:path';
import type { BuilderImage } from '../shared/api/env.ts';
import type { EnvVar } from '../shared/model/build-kinds.ts';
import { REDACTED_SECRET } from '../shared/model/redacted-secret.ts';
import { DNS1123_MAX, dns1123Problem } from '../shared/model/dns1123.ts';
import { CliError, EXIT_USAGE } from './errors.ts';

export type AppSource = { type: 'git'; uri: string; ref?: string } | { type: 'dir'; dir: string };

const EXAMPLES = 'e.g. `berth new-app python~./src` or `berth new-app python~https://github.com/org/repo.git`';

/** `python~./src` → builder "python", source "./src". */
export function splitAppArg(arg: string): { builder: string; source: string } {
  const at = arg.indexOf('~');
  if (at <= 0 || at === arg.length - 1) {
    throw new CliError(`"${arg}" is not BUILDER~SOURCE`, `give the builder image and the source, ${EXAMPLES}`, { exitCode: EXIT_USAGE });
  }
  return { builder: arg.slice(0, at), source: arg.slice(at + 1) };
}

/** A container image reference (registry/repository:tag or @digest), after the distribution grammar. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`);

/**
 * Whether `text` is an explicit image reference: with a registry or namespace, a tag or a digest
 * (`quay.io/org/builder:1`, `busybox:1.36`); a bare word names one of the platform's builders.
 * @example isImageReference('registry.example.com:5000/ci/s2i-go:1.22') // true
 * @example isImageReference('python') // false
 */
export function isImageReference(text: string): boolean {
  return /[/:@]/.test(text) && text.length <= 512 && IMAGE_REFERENCE.test(text);
}

const URL_SCHEME = /^(https?|git|ssh|file):\/\//i;
/** scp-like git addresses: git@github.com:org/repo.git */
const SCP_LIKE = /^[\w.-]+@[\w.-]+:/;

/**
 * A git URL (http(s)://, git://, ssh://, file://, user@host:path, or anything ending in .git
 * that is not a local directory), else a local directory. `url#ref` names a branch or tag.
 */
export function classifySource(source: string, isDirectory: (path: string) => boolean): AppSource {
  const remote = URL_SCHEME.test(source) || SCP_LIKE.test(source);
  if (!remote && isDirectory(source)) return { type: 'dir', dir: resolve(source) };
  if (remote || /\.git\/?(#.*)?$/.test(source)) {
    const [uri = '', ref] = source.split('#', 2);
    return ref ? { type: 'git', uri, ref } : { type: 'git', uri };
  }
  throw new CliError(`"${source}" is neither a directory nor a git repository URL`, `give a local directory or a repository URL, ${EXAMPLES}`);
}

/** The name new-app gives what it creates: the directory's or the repository's, made a DNS-1123 label. */
export function appNameFor(source: AppSource): string {
  const base = source.type === 'dir' ? basename(source.dir) : (source.uri.replace(/[/]+$/, '').split(/[/:]/).pop() ?? '').replace(/\.git$/, '');
  const name = toDnsLabel(base);
  if (!name) throw new CliError(`cannot make a name out of "${base}"`, 'give one with --name NAME');
  return name;
}

/** Lower case, every run of other characters a "-", no "-" at either end, at most 63 characters. */
export function toDnsLabel(text: string): string {
  const trim = (s: string) => s.replace(/^-+|-+$/g, '');
  return trim(trim(text.toLowerCase().replace(/[^a-z0-9-]+/g, '-')).slice(0, DNS1123_MAX));
}

/** `--name` as given: a usage error unless it is a DNS-1123 label. */
export function checkName(name: string): string {
  const problem = dns1123Problem(name);
  if (problem) throw new CliError(`--name "${name}" ${problem}`, 'e.g. --name my-app', { exitCode: EXIT_USAGE });
  return name;
}

/** What a new app builds from: the builder's ImageStreamTag in the shared project when it has one, else its image. */
function builderFrom(b: BuilderImage) {
  return b.imageStreamTag ? { kind: 'ImageStreamTag', ...b.imageStreamTag } : { kind: 'DockerImage', name: b.image };
}

/**
 * The BuildConfig of a new app. Git sources build on every config change, builder image change
 * and push (GitHub and Generic webhooks with fresh secrets); binary sources build only when a
 * directory is uploaded, so they get no triggers: a webhook has no source to give them.
 */
export function buildConfigSpec(o: { name: string; source: AppSource; builder: BuilderImage; env: EnvVar[]; secret: () => string }) {
  const source = o.source.type === 'git' ? { git: o.source.ref ? { uri: o.source.uri, ref: o.source.ref } : { uri: o.source.uri } } : { binary: {} };
  const triggers =
    o.source.type === 'git'
      ? [
          { type: 'ConfigChange' },
          { type: 'ImageChange', imageChange: {} },
          { type: 'GitHub', github: { secret: o.secret() } },
          { type: 'Generic', generic: { secret: o.secret(), allowEnv: false } },
        ]
      : [];
  return {
    source,
    strategy: { type: 'Source', sourceStrategy: { from: builderFrom(o.builder), env: o.env, incremental: false } },
    output: { to: { kind: 'ImageStreamTag', name: `${o.name}:latest` } },
    triggers,
    runPolicy: 'Serial',
  };
}

interface Trigger {
  type: string;
  github?: { secret: string };
  gitlab?: { secret: string };
  generic?: { secret: string; allowEnv?: boolean };
}

const HOOKS = [
  ['GitHub', 'github'],
  ['GitLab', 'gitlab'],
  ['Generic', 'generic'],
] as const;

/** The webhook URLs of a BuildConfig's triggers, secrets included: whoever has one can start builds. */
export function webhookUrls(server: string, project: string, bc: string, triggers: Trigger[] = []): { type: string; url: string; allowEnv?: boolean }[] {
  const urls: { type: string; url: string; allowEnv?: boolean }[] = [];
  for (const t of triggers) {
    const hook = HOOKS.find(([type]) => type === t.type);
    const secret = hook && t[hook[1]]?.secret;
    if (!hook || !secret) continue;
    // The API shows secrets only to those who may edit the BuildConfig; others get the placeholder.
    const shown = secret === REDACTED_SECRET ? '<secret: needs the edit role>' : encodeURIComponent(secret);
    const url = `${server}/webhooks/${encodeURIComponent(project)}/${encodeURIComponent(bc)}/${hook[1]}/${shown}`;
    urls.push(t.type === 'Generic' ? { type: t.type, url, allowEnv: t.generic?.allowEnv ?? false } : { type: t.type, url });
  }
  return urls;
}

/** The webhook URLs as aligned `Type: URL` lines, for new-app's next steps and `describe bc`. */
export function webhookLines(server: string, project: string, bc: string, triggers?: Trigger[]): string[] {
  const hooks = webhookUrls(server, project, bc, triggers);
  const width = Math.max(0, ...hooks.map((h) => h.type.length)) + 2;
  return hooks.map((h) => `${`${h.type}:`.padEnd(width)}${h.url}${h.allowEnv ? '  (accepts env)' : ''}`);
}

/** The port an S2I application listens on. */
const APP_PORT = 8080;

/** The DeploymentConfig new-app makes: one replica of the image the build pushes to `<name>:latest`, rolled out on each new image and each config change. */
export function appDeploymentSpec(name: string, env: EnvVar[], opts: { port?: number | null; tag?: string } = {}) {
  // null: the image listens on no port (a worker): no ports, no readiness probe.
  const port = opts.port === undefined ? APP_PORT : opts.port;
  return {
    replicas: 1,
    selector: { deploymentconfig: name },
    template: {
      metadata: { labels: { app: name, deploymentconfig: name } },
      spec: {
        containers: [
          {
            name,
            image: '',
            env,
            ...(port === null
              ? {}
              : {
                  ports: [{ containerPort: port, protocol: 'TCP' }],
                  // Checked every 2 s, so that a rollout moves on soon after each new pod listens.
                  readinessProbe: { tcpSocket: { port }, periodSeconds: 2 },
                }),
          },
        ],
      },
    },
    strategy: { type: 'Rolling' },
    triggers: [{ type: 'ConfigChange' }, { type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: [name], from: { kind: 'ImageStreamTag', name: `${name}:${opts.tag ?? 'latest'}` } } }],
  };
}

export const serviceSpec = (name: string, port = APP_PORT) => ({ selector: { deploymentconfig: name }, ports: [{ name: `${port}-tcp`, port, targetPort: port, protocol: 'TCP' }] });
