// Fetches a build's git source inside a container, never in the agent's own process: the clone
// runs in a container of the source-fetch image (git, CA certificates, ssh) as a non-root user,
// without capabilities, with memory, cpu and pids limits, no mounts and a time limit; the tree
// comes out as a tar through the Engine API and is unpacked by the safe extractor (no absolute
// paths, no "..", no link leading outside). So a git URI can never read the host's files, and a
// symlink in the repository can never lead the build outside the checkout.
// The address check runs here too: every address the host resolves to is judged, and http(s)
// fetches are pinned to the addresses checked (no redirects followed), so DNS cannot switch the
// fetch to the platform's own network. Only when the platform allows local git (tests,
// development) may a local path be bind-mounted read-only, or a loopback host reached through
// the host's network.
import { lookup } from 'node:dns/promises';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { extractArchive } from './archive.ts';
import { addressProblem, commitProblem, parseGitUri, portOf, refProblem, type GitLocation, type GitPolicy } from './git-source.ts';
import { packTar } from './s2i/pack.ts';
import { stepContainerName, stepLabels } from './s2i/spec.ts';
import type { StepOwner } from './s2i/types.ts';
import { SourceError, type FetchedSource } from './source.ts';

/** The user the clone runs as: nobody (for a local path allowed in development, its owner). */
const FETCH_USER = { uid: 65534, gid: 65534 };
const WORK = '/workspace';

export interface GitFetchRequest {
  uri: string;
  ref?: string;
  commit?: string;
  /** The image with git: berth/git locally, the builder agent's image on AWS. */
  image: string;
  policy: GitPolicy;
  /** Largest checkout accepted (bytes of tar). */
  maxBytes: number;
  memoryBytes: number;
  nanoCpus: number;
  timeoutMs: number;
  /** The build the fetch container belongs to (its labels), so that clean-up finds it. */
  build?: StepOwner;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Looks a host up (dns.lookup by default); tests pass their own. */
  resolve?: (host: string) => Promise<string[]>;
}

const SCRIPT = [
  'set -e',
  `cd ${WORK}`,
  'if [ -n "$2" ] && [ -z "$3" ]; then git clone --quiet --no-tags --depth 1 "--branch=$2" -- "$1" src',
  'elif [ -n "$2" ]; then git clone --quiet --no-tags "--branch=$2" -- "$1" src',
  'else git clone --quiet --no-tags -- "$1" src; fi',
  'cd src',
  'if [ -n "$3" ]; then git checkout --quiet --detach "$3"; fi',
  'echo "berth-commit: $(git rev-parse HEAD)"',
  'echo "berth-subject: $(git log -1 --format=\'%an: %s\')"',
].join('\n');

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/** git settings for the clone, as GIT_CONFIG_* variables (no shell quoting involved). */
export function gitConfigEnv(loc: GitLocation, addresses: string[], allowLocal: boolean): string[] {
  const pairs: [string, string][] = [
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ['protocol.http.allow', 'always'],
    ['protocol.git.allow', 'always'],
    ['protocol.ssh.allow', 'always'],
    ['http.followRedirects', 'false'],
    ['core.hooksPath', '/dev/null'],
    ['advice.detachedHead', 'false'],
  ];
  if (allowLocal) pairs.push(['protocol.file.allow', 'always'], ['safe.directory', '*']);
  if (loc.kind === 'remote' && (loc.scheme === 'http' || loc.scheme === 'https') && addresses.length) {
    const port = portOf(loc);
    pairs.push(['http.curloptResolve', `${loc.host}:${port}:${addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',')}`]);
  }
  return [`GIT_CONFIG_COUNT=${pairs.length}`, ...pairs.flatMap(([k, v], i) => [`GIT_CONFIG_KEY_${i}=${k}`, `GIT_CONFIG_VALUE_${i}=${v}`])];
}

/** Checks the request again (the agent does not trust the stored spec) and resolves the host. */
async function admit(req: GitFetchRequest): Promise<{ loc: GitLocation; addresses: string[]; user: typeof FETCH_USER }> {
  const loc = parseGitUri(req.uri, req.policy);
  if ('problem' in loc) throw new SourceError('InvalidGitSource', `source.git.uri ${loc.problem}`);
  const rp = req.ref === undefined ? undefined : refProblem(req.ref);
  if (rp) throw new SourceError('InvalidGitSource', `source.git.ref ${rp}`);
  const cp = req.commit === undefined ? undefined : commitProblem(req.commit);
  if (cp) throw new SourceError('InvalidGitSource', `revision.commit ${cp}`);
  if (loc.kind === 'local') {
    const st = await stat(loc.path).catch(() => undefined);
    if (!st?.isDirectory()) throw new SourceError('FetchSourceFailed', `${loc.path} is not a directory`);
    return { loc, addresses: [], user: { uid: st.uid, gid: st.gid } };
  }
  const addresses = await (req.resolve ?? defaultResolve)(loc.host).catch((err: Error) => {
    throw new SourceError('FetchSourceFailed', `the git host ${loc.host} could not be resolved: ${err.message}`);
  });
  for (const a of addresses) {
    const problem = addressProblem(a, req.policy);
    if (problem) throw new SourceError('InvalidGitSource', `the git host ${loc.host} resolves to ${a}, ${problem}`);
  }
  return { loc, addresses, user: FETCH_USER };
}

/** The fetch container: what it may see and use. Pure. */
export function fetchContainerSpec(req: GitFetchRequest, loc: GitLocation, addresses: string[], user = FETCH_USER): Docker.ContainerCreateOptions {
  const local = loc.kind === 'local';
  const loopback = loc.kind === 'remote' && addresses.some((a) => addressProblem(a, { allowLocal: false }) !== undefined);
  const uri = local ? '/source' : req.uri;
  return {
    Image: req.image,
    Entrypoint: ['/bin/sh'],
    Cmd: ['-c', SCRIPT, 'fetch', uri, req.ref ?? '', req.commit ?? ''],
    User: `${user.uid}:${user.gid}`,
    WorkingDir: '/',
    Env: [`HOME=${WORK}`, 'GIT_TERMINAL_PROMPT=0', 'GIT_SSH_COMMAND=ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new', ...gitConfigEnv(loc, addresses, req.policy.allowLocal)],
    name: stepContainerName('fetch', req.build),
    ...(req.build ? { Labels: stepLabels(req.build) } : {}),
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      // Only with local git allowed: the loopback host through the host's network, a local path read-only.
      NetworkMode: req.policy.allowLocal && (loopback || local) ? (local ? 'none' : 'host') : 'bridge',
      Binds: req.policy.allowLocal && local ? [`${loc.path}:/source:ro`] : [],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Memory: req.memoryBytes,
      MemorySwap: req.memoryBytes,
      NanoCpus: req.nanoCpus,
      PidsLimit: 256,
      ReadonlyRootfs: false,
    },
  };
}

/**
 * Clones `req.uri` at `req.ref` (and `req.commit`) in a container and unpacks the tree into a new
 * temporary directory.
 * @example const src = await fetchGitInContainer(docker, { uri: 'https://git.example.com/me/app.git', image: 'berth/git:bookworm', ... });
 */
export async function fetchGitInContainer(docker: Docker, req: GitFetchRequest): Promise<FetchedSource> {
  const { loc, addresses, user } = await admit(req);
  req.log(`Cloning "${req.uri}"${req.ref ? ` at ${req.ref}` : ''} ...`);
  const container = await docker.createContainer(fetchContainerSpec(req, loc, addresses, user));
  const root = await mkdtemp(join(tmpdir(), 'berth-src-'));
  const stop = () => void container.kill().catch(() => undefined);
  const timer = setTimeout(stop, req.timeoutMs);
  req.signal?.addEventListener('abort', stop, { once: true });
  try {
    await container.putArchive(packTar([{ type: 'dir', name: WORK.slice(1), mode: 0o700 }], user), { path: '/' });
    const out = await runAttached(docker, container);
    if (req.signal?.aborted) throw new SourceError('FetchSourceFailed', 'the fetch was stopped');
    if (out.code !== 0) {
      for (const l of out.text.trim().split('\n')) if (l && !l.startsWith('berth-')) req.log(l);
      const last = out.text.trim().split('\n').filter((l) => !l.startsWith('berth-')).pop();
      throw new SourceError('FetchSourceFailed', out.code === 137 ? `git clone ran past its time or memory limit` : `git clone failed: ${last ?? `exit ${out.code}`}`);
    }
    const commit = /^berth-commit: ([0-9a-f]{40,64})$/m.exec(out.text)?.[1];
    const subject = /^berth-subject: (.*)$/m.exec(out.text)?.[1] ?? '';
    const tar = (await container.getArchive({ path: `${WORK}/src` })) as NodeJS.ReadableStream;
    await extractArchive(tar, root, { maxBytes: req.maxBytes }).catch((err: Error) => {
      throw new SourceError('InvalidSource', `the repository cannot be built: ${err.message}`);
    });
    if (commit) req.log(`Commit: ${commit.slice(0, 12)} (${subject})`);
    return { dir: join(root, 'src'), root, commit };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', stop);
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

async function runAttached(docker: Docker, container: Docker.Container): Promise<{ code: number; text: string }> {
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  let text = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => {
    if (text.length < 64 * 1024) text += d.toString('utf8');
  });
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  docker.modem.demuxStream(stream, sink, sink);
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 5000).unref())]);
    return { code: StatusCode, text };
  } finally {
    (stream as unknown as { destroy(): void }).destroy();
  }
}
