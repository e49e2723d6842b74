// AWS's side of the control plane simulated for the cost bench, so that what Berth itself reads and
// writes in DynamoDB is counted as on AWS. A build as the control plane sees it: the real builder agent
// (shared/builds/agent.ts, runBuild) run in this process as the ECS task would run it, over its
// own DynamoDB client, with an image engine that prints a build's log at a set pace and then
// works quietly for a while, a push that reports a digest, and ECR's push event handed to the
// registry events function's code (recordEcrPush). What the control plane reads and writes for
// a build is all there; what happens in Docker, S3 and ECR is not (none of it is DynamoDB's).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { recordEcrPush } from '../shared/aws/ecr-image-actions.ts';
import { runBuild, type BuildEngine } from '../shared/builds/agent.ts';
import type { BuildLauncher, BuildLogs, ImageRegistry, SourceArchives } from '../shared/builds/ports.ts';
import type { ObjectRef } from '../shared/model/types.ts';
import type { ServiceDiscovery, ServiceProxies } from '../shared/services/discovery.ts';
import type { ObjectStore } from '../shared/store/ports.ts';

/** The registry host of an AWS account's ECR (the account number of AWS's documentation examples). */
export const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const PREFIX = 'berth';

export interface BuildPace {
  /** How long the build prints (pip's lines), and how many bytes a second. */
  logSeconds: number;
  logBytesPerSecond: number;
  /** How long it then works without printing (installing, committing the image, pushing). */
  quietSeconds: number;
  /** From RunTask to the agent's first write (pulling the agent's image, starting it). */
  startSeconds: number;
}

/** ECR as the build sees it: a repository per image stream; images kept under an RC's tag. */
export const simulatedEcr: ImageRegistry = {
  repository: (project, stream) => `${ECR_HOST}/${PREFIX}/${project}/${stream}`,
  ensureRepository: async () => undefined,
  auth: async () => ({ username: 'AWS', password: 'token', serveraddress: ECR_HOST }),
  deleteRepository: async () => undefined,
  deleteImage: async () => undefined,
  retainImage: async () => true,
  releaseImage: async () => undefined,
};

/** Uploaded sources (S3 on AWS): a few bytes for every build. */
export const simulatedSources: SourceArchives = {
  put: async (_build, archive) => void (await archive.resume()),
  get: async () => Readable.from([Buffer.from('source')]),
  delete: async () => undefined,
};

/** An S2I build that prints at the pace given, then works quietly; the source is taken as it comes. */
function pacedEngine(pace: BuildPace): BuildEngine {
  return {
    async s2iBuild(_docker, req) {
      const line = `Collecting package-${'x'.repeat(60)}\n`;
      const perTick = Math.max(1, Math.round((pace.logBytesPerSecond / 10) / line.length));
      for (let t = 0; t < pace.logSeconds * 10; t++) {
        for (let i = 0; i < perTick; i++) req.log(line.trimEnd());
        await sleep(100, undefined, { signal: req.signal });
      }
      await sleep(pace.quietSeconds * 1000, undefined, { signal: req.signal });
      return { imageId: `sha256:${createHash('sha256').update(req.tag).digest('hex')}` };
    },
    async dockerfileBuild() {
      throw new Error('only Source builds are simulated');
    },
    async extractArchive(input) {
      for await (const _ of input);
    },
  };
}

/**
 * The Docker Engine as the agent pushes with it: `getImage(target).push()` and the modem's
 * progress, reporting the digest of the pushed manifest (one per build). Then ECR's event of the
 * push goes to `pushed`.
 */
function pushingDocker(pushed: (repository: string, tag: string, digest: string) => void): Docker {
  return {
    getImage: (target: string) => ({
      push: async () => {
        const [repository, tag] = [target.slice(0, target.lastIndexOf(':')), target.slice(target.lastIndexOf(':') + 1)];
        const digest = `sha256:${createHash('sha256').update(`${target} ${Date.now()} ${Math.random()}`).digest('hex')}`;
        return Object.assign(Readable.from([]), { repository, tag, digest });
      },
    }),
    modem: {
      followProgress(stream: { repository: string; tag: string; digest: string }, done: (err: Error | null) => void, progress: (e: object) => void) {
        progress({ status: 'Pushed', id: stream.digest.slice(7, 19) });
        progress({ status: `${stream.tag}: digest: ${stream.digest} size: 1234`, aux: { Tag: stream.tag, Digest: stream.digest, Size: 1234 } });
        pushed(stream.repository, stream.tag, stream.digest);
        setImmediate(() => done(null));
      },
    },
  } as unknown as Docker;
}

/**
 * ECR's "ECR Image Action" event of a successful push, as EventBridge delivers it
 * (Amazon ECR User Guide, "Amazon ECR events and EventBridge", the image push example).
 */
export function ecrPushEvent(repository: string, tag: string, digest: string): object {
  return {
    version: '0',
    id: createHash('sha256').update(digest).digest('hex').slice(0, 32),
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': repository.slice(ECR_HOST.length + 1), 'image-digest': digest, 'action-type': 'PUSH', 'image-tag': tag },
  };
}

/**
 * Runs each launched build's agent in this process (as the ECS task would, after `startSeconds`),
 * with `agentStore` and `agentLogs` (the agent's own clients, metered apart). Each push's ECR
 * event is handed to the registry events function's code over `eventsStore`, and counted.
 */
export class InProcessBuilders implements BuildLauncher {
  private readonly agents = new Map<string, { abort: AbortController; done: Promise<unknown> }>();
  private n = 0;
  /** Registry events delivered (each one invocation of that function). */
  registryEvents = 0;

  constructor(
    private readonly opts: { agentStore: ObjectStore; agentLogs: BuildLogs; eventsStore: ObjectStore; pace: () => BuildPace },
  ) {}

  async launch(build: ObjectRef): Promise<string> {
    const id = `arn:aws:ecs:us-east-1:123456789012:task/berth/${build.project}-${build.name}-${++this.n}`;
    const abort = new AbortController();
    const pace = this.opts.pace();
    const events: Promise<unknown>[] = [];
    const docker = pushingDocker((repository, tag, digest) => {
      this.registryEvents++;
      // EventBridge delivers ECR's event about a second after the push, beside the agent's own record of it.
      events.push(sleep(1000).then(() => recordEcrPush(this.opts.eventsStore, ECR_HOST, PREFIX, ecrPushEvent(repository, tag, digest))));
    });
    const done = (async () => {
      await sleep(pace.startSeconds * 1000, undefined, { signal: abort.signal });
      await runBuild({ store: this.opts.agentStore, logs: this.opts.agentLogs, sources: simulatedSources, registry: simulatedEcr, docker, engine: pacedEngine(pace), signal: abort.signal }, build);
      await Promise.all(events);
    })()
      .catch(() => undefined)
      .finally(() => this.agents.delete(id));
    this.agents.set(id, { abort, done });
    return id;
  }

  async running(agent: string): Promise<boolean> {
    return this.agents.has(agent);
  }

  async stop(agent: string): Promise<void> {
    this.agents.get(agent)?.abort.abort(new Error('stopped'));
  }

  /** No agent is running. */
  idle(): boolean {
    return this.agents.size === 0;
  }

  async stopAll(): Promise<void> {
    for (const a of this.agents.values()) a.abort.abort(new Error('stopped'));
    await Promise.all([...this.agents.values()].map((a) => a.done));
  }
}

/** Cloud Map as the discovery reconciler sees it: every sync done at once. */
export const simulatedCloudMap: ServiceDiscovery = {
  sync: async () => 'done',
  removeService: async () => 'done',
  removeProject: async () => 'done',
  list: async () => [],
};

/** Services' proxies (ECS tasks on AWS): each one running at an address of the pods' network. */
export const simulatedProxies: ServiceProxies = {
  ensure: async () => ({ address: '10.0.3.41' }),
  remove: async () => 'done',
};
