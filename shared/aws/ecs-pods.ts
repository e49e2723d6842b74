// The ECS adapter of the fleet's pod containers: one ECS container instance is one host, so the
// same pod sync drives ECS hosts as Docker hosts. A pod's task is started with StartTask on
// exactly this instance (Berth's scheduler, not ECS, chose the host), from the task definition
// and input ecs-pod-spec.ts builds. Berth stops only tasks whose tags say it started them for
// that pod (STYLE 7).
//
// What ECS hosts cannot do: run a command in a container for the pod sync (`exec`: ECS Exec
// needs SSM on the host and in the task); probes run as the container's health check instead
// (ecs-pod-spec.ts healthCheckOf, exec probes included). Logs are read from CloudWatch Logs when
// a log group and a reader are given.
import { Readable } from 'node:stream';
import { imageProblem, type PlatformRegistry } from '../images/access.ts';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type ListTasksCommandInput,
  type RegisterTaskDefinitionCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { BerthError } from '../errors.ts';
import { projectUid } from '../fleet/pod-container.ts';
import type { LogOptions, LogPoll, PodContainers } from '../fleet/ports.ts';
import type { ListedPod, PodSpecForHost, RunningPod } from '../fleet/types.ts';
import { contentHash, POD_TAGS, podToken, revisionTags, runningPodOfTask, startTaskInput, tagMap, taskDefinitionInput, type PodTaskPlace, type PodTaskSettings } from './ecs-pod-spec.ts';
import { NotOwnedError, PROJECT_TAG, ownedByBerth } from './ownership.ts';
import type { EcsPodSecrets, PinnedSecret } from './ecs-pod-secrets.ts';
import { awsvpcStartTask, awsvpcTaskDefinition, withTaskAddress, type PodNetwork } from './pod-network.ts';

/** Every reason Berth gives StopTask starts so: ECS shows it as the stopped task's stoppedReason. */
const STOP_PREFIX = 'Berth: ';
const STOP_REASON = `${STOP_PREFIX}the pod was deleted, replaced or is not bound to this host`;
/** StopTask's reason is at most 255 characters. */
const REASON_MAX = 255;
/**
 * A task Berth stopped (ECS API Reference, StopTask: the reason "appears in subsequent
 * DescribeTasks" as stoppedReason, with stopCode UserInitiated): the pod's container was removed
 * on purpose, so it is not the pod's container any more, stopping or stopped, and never a crash.
 */
const stoppedByBerth = (t: Task) => t.stopCode === 'UserInitiated' && Boolean(t.stoppedReason?.startsWith(STOP_PREFIX));
/** ECS describes at most 100 tasks per call. */
const DESCRIBE_BATCH = 100;

export interface EcsPodsOptions extends PodTaskSettings, PodTaskPlace {
  client: ECSClient;
  /** The address the instance's published ports are reached at (its private IP); else each binding's bindIP. */
  address?: string;
  /** The UID a project's pods run as when the spec names none; defaults to `projectUid`. */
  uidFor?: (project: string) => number;
  /** Reads a log stream's last lines (a CloudWatch Logs GetLogEvents client); without it `logs` says where the logs are. */
  readLogs?: (req: { logGroup: string; logStream: string; tail?: number; sinceSeconds?: number }) => Promise<string>;
  /** Reads a log stream and says where to read on from (cloudWatchLogPages): `logs -f` is served by polling with it. */
  readLogPage?: (req: { logGroup: string; logStream: string; tail?: number; sinceSeconds?: number; nextToken?: string }) => Promise<{ text: string; nextToken?: string }>;
  /** Registered task definitions by content hash; share one map between the adapters of one process. */
  taskDefinitions?: Map<string, string>;
  /**
   * Project networks (pod-network.ts): each pod an awsvpc task with its project's security
   * group. Without it pods share the host's bridge and are reached on published host ports.
   */
  network?: PodNetwork;
  /** The platform registry's layout: a pod runs only its project's own, shared and public images. */
  images?: PlatformRegistry;
  /**
   * Read the tasks once for the adapter's life (one pass) instead of per call: `host` lists the
   * instance's tasks and describes them 100 at a time (a full pass over the host); a pod's view
   * lists its tasks by its token and describes them with the tasks an event named, in one call
   * (an event about that pod). Without it each call lists the pod's tasks afresh.
   */
  view?: 'host' | { project: string; pod: string; taskArns: string[] };
  /** Where pods' Secret values are kept for ECS to fetch (Secrets Manager); without it a pod using a Secret does not start here. */
  secrets?: EcsPodSecrets;
}

/** Tasks read for the adapter's life, kept up to date with what it starts and stops. */
interface TaskView {
  live: Promise<Task[]>;
  stopped?: Promise<Task[]>;
}

/** Task definitions being looked up or registered in this process, by content hash. */
const registering = new Map<string, Promise<string>>();

/** A follow's cursor: the task and CloudWatch's forward token, opaque to the client. */
const cursorOf = (taskId: string, token: string) => Buffer.from(JSON.stringify({ t: taskId, n: token })).toString('base64url');

function parseCursor(cursor: string): { taskId: string; token: string } {
  try {
    const { t, n } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; n?: unknown };
    if (typeof t === 'string' && /^[0-9a-f]{1,64}$/.test(t) && typeof n === 'string' && n) return { taskId: t, token: n };
  } catch {
    // Reported below.
  }
  throw new BerthError(400, 'BadCursor', 'the log cursor is not one this API gave', { suggestion: 'read the log again without a cursor' });
}

const notFound = (project: string, pod: string) =>
  new BerthError(404, 'NotFound', `pod ${project}/${pod} has no task on this host`, { suggestion: 'it may not have started yet, or may have been replaced' });

export class EcsPodContainers implements PodContainers {
  private readonly taskDefinitions: Map<string, string>;
  private readonly uidFor: (project: string) => number;
  private cached?: TaskView;

  constructor(private readonly opts: EcsPodsOptions) {
    this.taskDefinitions = opts.taskDefinitions ?? new Map();
    this.uidFor = opts.uidFor ?? projectUid;
  }

  /** Runs the pod unless a task of it with the same image runs (or is starting) here; idempotent. */
  async ensurePod(spec: PodSpecForHost): Promise<RunningPod> {
    const problem = this.opts.images ? imageProblem(spec.image, spec.project, this.opts.images) : undefined;
    if (problem) throw new BerthError(403, 'ImageNotAllowed', `pod ${spec.project}/${spec.pod}: the image ${spec.image} ${problem}`);
    const bridged = taskDefinitionInput(spec, { ...this.opts, uid: spec.uid ?? this.uidFor(spec.project), pinnedSecrets: await this.pinSecrets(spec) });
    const { network } = this.opts;
    const input = network ? awsvpcTaskDefinition(bridged) : bridged;
    const live = await this.liveTasks(spec.project, spec.pod);
    const current = live.find((t) => t.containers?.[0]?.image === spec.image);
    if (current) return this.podOf(current);
    // An outdated task of the pod (another image) is replaced, as a Docker host replaces its container.
    for (const t of live) await this.stop(t, spec.project, spec.pod);
    const taskDefinition = await this.ensureTaskDefinition(spec, input);
    const start = startTaskInput(this.opts, spec, taskDefinition);
    const out = await this.opts.client.send(new StartTaskCommand(network ? awsvpcStartTask(start, spec, network.subnets, await network.securityGroupOf(spec.project)) : start));
    const task = out.tasks?.[0];
    if (task?.taskArn && this.cached) (await this.cached.live).push(task);
    if (!task?.taskArn) {
      const why = (out.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(' ')).join('; ') || 'no reason given';
      throw new BerthError(503, 'StartTaskFailed', `ECS started no task for pod ${spec.project}/${spec.pod} on ${this.opts.containerInstanceArn}: ${why}`, {
        suggestion: 'the pod sync retries; RESOURCE:* means ECS still counts a stopping task on the host',
      });
    }
    return this.podOf(task);
  }

  /** The versions of the pod's Secrets its task definition names, written first (one per Secret it uses). */
  private async pinSecrets(spec: PodSpecForHost): Promise<Map<string, PinnedSecret>> {
    const bySecret = new Map<string, Record<string, string>>();
    for (const e of spec.env) {
      if (!e.secretKeyRef) continue;
      bySecret.set(e.secretKeyRef.name, { ...bySecret.get(e.secretKeyRef.name), [e.secretKeyRef.key]: e.value });
    }
    const pinned = new Map<string, PinnedSecret>();
    if (!bySecret.size || !this.opts.secrets) return pinned;
    for (const [name, values] of bySecret) pinned.set(name, await this.opts.secrets.pin(spec.project, name, values));
    return pinned;
  }

  /** The pod a task runs: at the task's own address on a project network, else at the host's. */
  private podOf(task: Task): RunningPod {
    return withTaskAddress(runningPodOfTask(task, this.opts.address), task);
  }

  /**
   * The pod's newest task on this host (running, else one that stopped by itself), or undefined
   * when ECS has none: a task Berth stopped was removed, as a Docker host removes a container.
   */
  async inspectPod(project: string, pod: string): Promise<RunningPod | undefined> {
    const task = (await this.liveTasks(project, pod))[0] ?? (await this.stoppedTasks(project, pod)).find((t) => !stoppedByBerth(t));
    return task ? this.podOf(task) : undefined;
  }

  /** Stops the pod's tasks on this host (StopTask with `reason`); none is fine; a task without Berth's tags for this pod is refused. */
  async removePod(project: string, pod: string, reason?: string): Promise<void> {
    for (const t of await this.liveTasks(project, pod)) await this.stop(t, project, pod, reason);
  }

  /** Every task on this host that Berth started for a pod and ECS means to keep running. */
  async listPods(): Promise<ListedPod[]> {
    const tasks = this.opts.view === 'host' ? await this.view().live : await this.describe(await this.list({ containerInstance: this.opts.containerInstanceArn }));
    const out: ListedPod[] = [];
    for (const task of tasks) {
      const tags = tagMap(task.tags);
      if (!ownedByBerth(tags) || !tags[POD_TAGS.pod]) continue;
      out.push({
        ...this.podOf(task),
        project: tags[PROJECT_TAG] ?? '',
        deployment: tags[POD_TAGS.deployment] ?? '',
        revision: Number(tags[POD_TAGS.revision] ?? 0),
        pod: tags[POD_TAGS.pod]!,
        image: task.containers?.[0]?.image ?? '',
      });
    }
    return out;
  }

  /** ECS hosts run no commands in containers for Berth: ECS Exec would need SSM on every host and task. */
  async exec(project: string, pod: string): Promise<{ exitCode: number }> {
    throw new BerthError(501, 'NotImplemented', `exec probes are not supported on ECS hosts (pod ${project}/${pod}); use httpGet or tcpSocket probes`, {
      suggestion: 'change the probe to httpGet or tcpSocket',
    });
  }

  /**
   * The pod's output as a stream, read from CloudWatch Logs: its newest task's, or with `previous`
   * the task before it (the one a restart replaced). Following is not served from here (Lambda
   * answers are not streamed): a 501 saying so.
   */
  async streamLogs(project: string, pod: string, opts: LogOptions): Promise<Readable> {
    if (opts.follow) throw new BerthError(501, 'FollowNotAvailable', `the log of pod ${project}/${pod} cannot be followed on this platform yet`, { suggestion: 'read it without -f, with --since for the newest lines' });
    const text = await this.logs(project, pod, opts);
    // Bytes, not a string: a web stream of the answer takes only Uint8Array chunks.
    return Readable.from([Buffer.from(text)]);
  }

  /** The pod's output from CloudWatch Logs (its newest task's stream, or with `previous` the one before it). */
  async logs(project: string, pod: string, opts: { tail?: number; sinceSeconds?: number; previous?: boolean } = {}): Promise<string> {
    const { logGroup, logStream } = await this.logStreamOf(project, pod, opts);
    const { readLogs } = this.opts;
    if (!readLogs) {
      throw new BerthError(501, 'NotImplemented', `the output of pod ${project}/${pod} is in CloudWatch Logs, group ${logGroup}, stream ${logStream}`, {
        suggestion: `aws logs tail ${logGroup} --log-stream-names ${logStream}`,
      });
    }
    return readLogs({ logGroup, logStream, ...(opts.tail ? { tail: opts.tail } : {}), ...(opts.sinceSeconds ? { sinceSeconds: opts.sinceSeconds } : {}) });
  }

  /**
   * One read of a followed log: without a cursor, what `logs` would return; with one, only what
   * the same task wrote since. The cursor names the task and CloudWatch's forward token; a cursor
   * naming a task that is not this pod's is refused, so it reaches no other stream.
   */
  async pollLogs(project: string, pod: string, opts: LogOptions & { cursor?: string }): Promise<LogPoll> {
    const at = opts.cursor ? parseCursor(opts.cursor) : undefined;
    const { logGroup, logStream, task } = await this.logStreamOf(project, pod, opts, at?.taskId);
    const { readLogPage } = this.opts;
    if (!readLogPage) throw new BerthError(501, 'FollowNotAvailable', `the log of pod ${project}/${pod} cannot be followed here`, { suggestion: 'read it without -f' });
    const page = await readLogPage({ logGroup, logStream, ...(at ? { nextToken: at.token } : { ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(opts.sinceSeconds ? { sinceSeconds: opts.sinceSeconds } : {}) }) });
    const taskId = (task.taskArn ?? '').split('/').pop()!;
    const token = page.nextToken ?? at?.token;
    return { text: page.text, ...(token ? { cursor: cursorOf(taskId, token) } : {}), ended: task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED' };
  }

  /** The log stream of the pod's newest task, the one before it with `previous`, or the pod's task `taskId`. */
  private async logStreamOf(project: string, pod: string, opts: { previous?: boolean }, taskId?: string): Promise<{ logGroup: string; logStream: string; task: Task }> {
    const { logGroup } = this.opts;
    if (!logGroup) {
      throw new BerthError(501, 'NotImplemented', `pod ${project}/${pod} runs on an ECS host without a log group: its output stays in the Docker log of its container instance`, {
        suggestion: 'configure the pods\' log group (BERTH_POD_LOG_GROUP)',
      });
    }
    const tasks = [...(await this.liveTasks(project, pod)), ...(await this.stoppedTasks(project, pod))];
    const task = taskId
      ? tasks.find((t) => t.taskArn?.endsWith(`/${taskId}`))
      : opts.previous
        ? tasks.filter((t) => t.createdAt).sort((a, b) => +b.createdAt! - +a.createdAt!)[1]
        : tasks[0];
    if (!task) {
      if (taskId) throw new BerthError(400, 'BadCursor', `the log cursor does not name a task of pod ${project}/${pod}`, { suggestion: 'read the log again without a cursor' });
      if (opts.previous) throw new BerthError(404, 'NotFound', `pod ${project}/${pod} has no previous task (it has not restarted here)`, { suggestion: 'read its log without --previous' });
      throw notFound(project, pod);
    }
    return { logGroup, logStream: `${project}/${task.containers?.[0]?.name ?? 'pod'}/${(task.taskArn ?? '').split('/').pop()}`, task };
  }

  /** The task definition of the pod's revision: found by its content hash, registered only when missing. */
  private async ensureTaskDefinition(spec: PodSpecForHost, input: RegisterTaskDefinitionCommandInput): Promise<string> {
    const hash = contentHash(input);
    const cached = this.taskDefinitions.get(hash);
    if (cached) return cached;
    // The pods of one revision start together: one lookup and registration serves them all.
    let pending = registering.get(hash);
    if (!pending) {
      pending = this.findOrRegister(spec, input, hash).finally(() => registering.delete(hash));
      registering.set(hash, pending);
    }
    return pending;
  }

  private async findOrRegister(spec: PodSpecForHost, input: RegisterTaskDefinitionCommandInput, hash: string): Promise<string> {
    const { client } = this.opts;
    const latest = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.family, include: ['TAGS'] })).catch((err: unknown) => {
      // A family ECS has never seen.
      if ((err as { name?: string }).name === 'ClientException') return undefined;
      throw err;
    });
    let arn = latest?.taskDefinition?.status === 'ACTIVE' && tagMap(latest.tags)[POD_TAGS.contentHash] === hash ? latest.taskDefinition.taskDefinitionArn : undefined;
    if (!arn) {
      const tags = [...revisionTags(spec), { key: POD_TAGS.contentHash, value: hash }];
      const out = await client.send(new RegisterTaskDefinitionCommand({ ...input, tags }));
      arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error(`ECS registered no task definition for family ${input.family}`);
    }
    this.taskDefinitions.set(hash, arn);
    return arn;
  }

  private async stop(task: Task, project: string, pod: string, reason?: string): Promise<void> {
    const tags = tagMap(task.tags);
    if (!ownedByBerth(tags, project) || tags[POD_TAGS.pod] !== pod) throw new NotOwnedError(`ECS task ${task.taskArn}`);
    const why = reason ? `${STOP_PREFIX}${reason}`.slice(0, REASON_MAX) : STOP_REASON;
    await this.opts.client.send(new StopTaskCommand({ cluster: this.opts.cluster, task: task.taskArn, reason: why }));
    task.desiredStatus = 'STOPPED';
  }

  /** The tasks this adapter reads once (`view`), from the first call that needs them. */
  private view(): TaskView {
    if (this.cached) return this.cached;
    const { view } = this.opts;
    if (view === 'host') {
      this.cached = { live: this.list({ containerInstance: this.opts.containerInstanceArn }).then((arns) => this.describe(arns)) };
    } else if (view) {
      // One ListTasks and one DescribeTasks: the pod's tasks ECS keeps running and the ones the event named.
      const all = this.list({ startedBy: podToken(view.project, view.pod) }).then((arns) => this.describe([...new Set([...arns, ...view.taskArns])]));
      this.cached = { live: all.then((ts) => ts.filter((t) => t.desiredStatus !== 'STOPPED')), stopped: all.then((ts) => ts.filter((t) => t.desiredStatus === 'STOPPED')) };
    }
    return this.cached!;
  }

  /** The pod's tasks on this host that ECS means to keep running, newest first. */
  private async liveTasks(project: string, pod: string): Promise<Task[]> {
    // ECS allows startedBy only as the sole filter: the instance is checked on the answer.
    const tasks = this.opts.view ? await this.view().live : await this.describe(await this.list({ startedBy: podToken(project, pod) }));
    return this.ofPod(tasks, project, pod).filter((t) => t.desiredStatus !== 'STOPPED');
  }

  /** The pod's stopped tasks on this host that ECS still remembers (about an hour), newest first. */
  private async stoppedTasks(project: string, pod: string): Promise<Task[]> {
    const listStopped = () => this.list({ containerInstance: this.opts.containerInstanceArn, desiredStatus: 'STOPPED' }).then((arns) => this.describe(arns));
    let tasks: Task[];
    if (this.opts.view) {
      const v = this.view();
      tasks = await (v.stopped ??= listStopped());
    } else {
      tasks = await listStopped();
    }
    return this.ofPod(tasks, project, pod).filter((t) => t.desiredStatus === 'STOPPED');
  }

  private ofPod(tasks: Task[], project: string, pod: string): Task[] {
    const token = podToken(project, pod);
    return tasks
      .filter((t) => t.startedBy === token && t.containerInstanceArn === this.opts.containerInstanceArn)
      .sort((a, b) => new Date(b.createdAt ?? 0).getTime() - new Date(a.createdAt ?? 0).getTime());
  }

  private async list(filter: Omit<ListTasksCommandInput, 'cluster' | 'nextToken'>): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.opts.client.send(new ListTasksCommand({ cluster: this.opts.cluster, ...filter, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns;
  }

  private async describe(arns: string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      const out = await this.opts.client.send(new DescribeTasksCommand({ cluster: this.opts.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH), include: ['TAGS'] }));
      tasks.push(...(out.tasks ?? []));
    }
    return tasks;
  }
}
