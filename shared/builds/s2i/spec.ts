// Pure renderers of what the engine is asked to do: the container specs of the assemble and
// save-artifacts steps, the commit of the result, the labels of the output image and the upload
// tar's layout. No I/O here; these are table-tested.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { CommitOptions, ContainerSpec } from './ports.ts';
import { splitTag } from './ports.ts';
import type { PackSource } from './pack.ts';
import { BuilderUserError } from './errors.ts';
import type { ImageFacts, Owner, ScriptName, Scripts, StepOwner } from './types.ts';

/**
 * The name of a build step's container, `berth-s2i-[<project>_<build>-]<step>-<random>`, for
 * people reading `docker ps`; clean-up goes by the labels (STEP_LABELS), never by the name.
 * @example stepContainerName('assemble', { project: 'shop', name: 'web-3' }) // 'berth-s2i-shop_web-3-assemble-1a2b3c4d5e6f'
 */
export function stepContainerName(step: StepSpecInput['step'] | 'fetch', build?: StepOwner): string {
  return `berth-s2i-${build ? `${build.project}_${build.name}-` : ''}${step}-${randomBytes(6).toString('hex')}`;
}

/** The prefix every step container's name has. */
export const STEP_CONTAINER_PREFIX = 'berth-s2i-';

/**
 * The labels of a build's step and fetch containers: the project and the build they belong to.
 * A commit copies a container's labels into the image, so the output image gets them blanked
 * (CLEARED_STEP_LABELS): containers of that image never match a build's clean-up.
 */
export const STEP_LABELS = { project: 'berth.io/build-step-project', build: 'berth.io/build-step-build' } as const;
export const CLEARED_STEP_LABELS: Record<string, string> = { [STEP_LABELS.project]: '', [STEP_LABELS.build]: '' };

/** The labels of a container that belongs to `build`. */
export function stepLabels(build: StepOwner): Record<string, string> {
  return { [STEP_LABELS.project]: build.project, [STEP_LABELS.build]: build.name };
}

export interface StepSpecInput {
  image: string;
  step: 'assemble' | 'save-artifacts';
  cmd: string;
  user: string;
  env: string[];
  memoryBytes?: number;
  nanoCpus?: number;
  /** The build the container belongs to, in its labels and name. */
  build?: StepOwner;
  /** The network the step runs on (the build's egress); none when absent. */
  network?: string;
  /**
   * Variables for this step only, as `NAME=value` arguments of /usr/bin/env before the script:
   * unlike the container's Env, a commit does not copy them into the image.
   */
  stepOnlyEnv?: string[];
}

/**
 * A build step's container: the script run through /usr/bin/env (source-to-image's default
 * entrypoint), no network unless the build's egress network is given, no privileges, every capability dropped, no new privileges, no
 * mounts (never the Docker socket), a pids limit, and the build's memory (without swap) and cpu
 * limits; labelled with the build it belongs to.
 */
export function stepContainerSpec(p: StepSpecInput): ContainerSpec {
  return {
    Image: p.image,
    Entrypoint: ['/usr/bin/env'],
    Cmd: [...(p.stepOnlyEnv ?? []), p.cmd],
    User: p.user,
    Env: p.env,
    name: stepContainerName(p.step, p.build),
    ...(p.build ? { Labels: stepLabels(p.build) } : {}),
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    NetworkDisabled: !p.network,
    HostConfig: {
      NetworkMode: p.network ?? 'none',
      Privileged: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Binds: [],
      PidsLimit: 4096,
      ...(p.memoryBytes ? { Memory: p.memoryBytes, MemorySwap: p.memoryBytes } : {}),
      ...(p.nanoCpus ? { NanoCpus: p.nanoCpus } : {}),
    },
  };
}

/** The assemble user from `uid` or `uid:gid`; names and root are refused (as OpenShift does). */
export function parseOwner(image: string, user: string): Owner {
  const m = /^(\d+)(?::(\d+))?$/.exec(user.trim());
  if (!m || Number(m[1]) === 0) throw new BuilderUserError(image, user);
  return { uid: Number(m[1]), gid: m[2] === undefined ? 0 : Number(m[2]) };
}

export interface OutputLabelsInput {
  builder: ImageFacts;
  builderImage: string;
  /** What the user gave as the source (a git URL, an archive's name); never a path on the build host. */
  sourceLocation?: string;
  tag: string;
  /** The labels assemble wrote to the image metadata file. */
  metadata?: Record<string, string>;
  extra?: Record<string, string>;
}

/**
 * The output image's labels: the builder's, then those assemble asked for in its image metadata
 * file (over the builder's, as source-to-image), then the generated io.openshift.build.*, then
 * the caller's: what the platform records about the build is never the build's to change.
 */
export function outputLabels(p: OutputLabelsInput): Record<string, string> {
  return {
    ...p.builder.labels,
    ...(p.metadata ?? {}),
    'io.k8s.display-name': p.tag,
    'io.openshift.build.image': p.builderImage,
    ...(p.sourceLocation ? { 'io.openshift.build.source-location': p.sourceLocation } : {}),
    ...(p.extra ?? {}),
  };
}

export interface CommitInput {
  tag: string;
  runPath: string;
  builder: ImageFacts;
  env: string[];
  labels: Record<string, string>;
}

/** Commit: CMD the run script, the builder's USER and ENTRYPOINT, the build env baked in. */
export function commitOptions(p: CommitInput): CommitOptions {
  const [repo, tag] = splitTag(p.tag);
  return { repo, tag, config: { Cmd: [p.runPath], User: p.builder.user, Env: p.env, Labels: p.labels, Entrypoint: p.builder.entrypoint ?? [] } };
}

export interface UploadInput {
  /** Path components of the destination that do not exist yet in the container. */
  missing: string[];
  sourceDir?: string;
  skip?: (rel: string) => boolean;
  scripts: Scripts;
  artifactsDir?: string;
}

/** The upload tar's layout below the destination: src/, scripts/<name>, artifacts/. */
export function uploadLayout(p: UploadInput): PackSource[] {
  const out: PackSource[] = [];
  const at = (name: string) => [...p.missing, name].join('/');
  p.missing.forEach((_, i) => out.push({ type: 'dir', name: p.missing.slice(0, i + 1).join('/') }));
  if (p.sourceDir) out.push({ type: 'dir', name: at('src') }, { type: 'tree', name: at('src'), from: p.sourceDir, skip: p.skip });
  const uploaded = (Object.entries(p.scripts) as [ScriptName, NonNullable<Scripts[ScriptName]>][]).filter(([, s]) => s.kind === 'upload');
  if (uploaded.length) out.push({ type: 'dir', name: at('scripts') });
  for (const [name, s] of uploaded) if (s.kind === 'upload') out.push({ type: 'file', name: posix.join(at('scripts'), name), from: s.file, mode: 0o755 });
  if (p.artifactsDir) out.push({ type: 'dir', name: at('artifacts') }, { type: 'tree', name: at('artifacts'), from: p.artifactsDir });
  return out;
}
