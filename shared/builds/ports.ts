// The outside systems a build touches, each behind a narrow port with local and AWS adapters:
// where the builder agent runs (a local process / an ECS task), where images go (the local
// Distribution registry / ECR), where logs and uploaded sources are kept.
import type { ObjectRef } from '../model/types.ts';

/** Starts and watches builder agents, one per Build. */
export interface BuildLauncher {
  /** Starts the builder agent for this build; returns an id naming where it runs (pid, task ARN). */
  launch(build: ObjectRef): Promise<string>;
  /** Whether that agent is still running (an interrupted build is marked Error). */
  running(agent: string): Promise<boolean>;
  /** Stops the agent (cancel, deadline). Idempotent. */
  stop(agent: string): Promise<void>;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** A repository of the registry as `listRepositories` finds it. */
export interface RegistryRepository {
  project: string;
  stream: string;
  /** How the registry names it (`demo/web`; ECR: `berth/demo/web`). */
  name: string;
  /** How image references name it: `<host>/<name>`. */
  reference: string;
}

export interface RegistryTag {
  tag: string;
  digest: string;
}

/** Where built images are pushed. */
export interface ImageRegistry {
  /** The repository of an image stream, without tag: `127.0.0.1:7500/demo/hello`. */
  repository(project: string, imageStream: string): string;
  /** Creates the repository if the registry needs that (ECR does; the local registry does not). */
  ensureRepository(project: string, imageStream: string): Promise<void>;
  /** Credentials for push and pull, or undefined when none are needed. */
  auth(): Promise<RegistryAuth | undefined>;
  /** Removes an image stream's repository and its images (project deletion). */
  deleteRepository(project: string, imageStream: string): Promise<void>;
  /**
   * Removes every repository of the project's namespace, also those no image stream names
   * (images pushed while no notification could record them, ECR repositories made for a push
   * login), so that a project made later with the same name starts empty.
   */
  deleteProjectRepositories?(project: string): Promise<void>;
  /**
   * Every repository of the registry shaped `<project>/<stream>` (ECR: under its prefix), only
   * `project`'s when given (its namespace exactly: `shop` never lists `shop-2`'s); what the
   * resync compares with the image streams and project deletion empties.
   */
  listRepositories?(project?: string): AsyncIterable<RegistryRepository>;
  /** The tags of a listed repository and the manifest digest each names now (untagged images and non-manifests left out). */
  listTags?(repository: RegistryRepository): Promise<RegistryTag[]>;
  /** Removes one image of an image stream by digest (pruning); a missing one is fine. */
  deleteImage(project: string, imageStream: string, digest: string): Promise<void>;
  /**
   * Keeps the image `digest` under the tag `tag` (a ReplicationController's), where the registry
   * expires images by itself (ECR's lifecycle policy); absent where it never does.
   */
  retainImage?(project: string, imageStream: string, digest: string, tag: string): Promise<boolean>;
  /** Gives up what `retainImage` kept under `tag`. */
  releaseImage?(project: string, imageStream: string, tag: string): Promise<void>;
}

/** A build's log, appended by the agent and read (and followed) through the API. */
export interface BuildLogs {
  /**
   * How long a build's writer may gather lines before it appends them (ms; 300 when unset). An
   * adapter billed per write (the table's: a write an append) asks for longer.
   */
  readonly flushMs?: number;
  append(build: ObjectRef, text: string): Promise<void>;
  /**
   * The log from byte `offset` on, as much as one read gives; `more` is true when the read
   * stopped at its size limit with text after `next` already there (read again at once), false
   * when it gave all there is now.
   */
  read(build: ObjectRef, offset: number): Promise<{ text: string; next: number; more: boolean }>;
  delete(build: ObjectRef): Promise<void>;
}

/** Source archives uploaded with binary builds (`start-build --from-dir`). */
export interface SourceArchives {
  put(build: ObjectRef, archive: NodeJS.ReadableStream, maxBytes: number): Promise<void>;
  get(build: ObjectRef): Promise<NodeJS.ReadableStream | undefined>;
  delete(build: ObjectRef): Promise<void>;
}
