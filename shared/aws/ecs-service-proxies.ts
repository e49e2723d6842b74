// The ECS adapter of Services' proxies (service-proxy-task.ts builds what it sends): one task per
// Service, on the project's network, run with RunTask on the tenant host Berth chose, where its
// room was reserved first (shared/scheduler/reservations.ts), so that the scheduler never binds a
// pod into the room a proxy takes. A Service's proxy tasks are found by their `startedBy` token
// and used, replaced or stopped only while their tags say Berth ran them for that project and
// Service (STYLE 7). A proxy whose task definition changed (the Service's ports did) is replaced:
// the new task is run, and the old ones are stopped once it runs; a proxy on a host cordoned
// (shared/scheduler/cordon.ts: the autoscaler retiring it, or ECS draining it) is moved the same
// way, so that the host can go. The room follows the tasks ECS
// keeps: each live task holds its reservation on its host (one found without, say run before
// reservations were counted, is booked where it is), and a reservation without a live task there
// is given back, so a proxy stopped or moved frees its room at the next pass. A proxy that
// stopped (its host went, it failed) is run again when its task's state change arrives
// (functions/reconcilers/resync.ts) or, at the latest, by the one-minute resync. A proxy no host
// has room for is recorded as wanted room (shared/scheduler/wanted-room.ts), which the autoscaler
// grows the tenant hosts for; the record goes with the Service.
// AWS documentation: Amazon ECS API Reference, ListTasks (startedBy; desiredStatus),
// DescribeTasks (include TAGS; Task.attachments ElasticNetworkInterface privateIPv4Address),
// DescribeTaskDefinition (include TAGS), RegisterTaskDefinition, RunTask (tasks, failures
// with reason and arn), StopTask.
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import type { ServiceProxies, ServiceProxySpec } from '../services/discovery.ts';
import { tagMap } from './ecs-pod-spec.ts';
import type { Host } from '../model/objects.ts';
import type { Reconciler } from '../reconcile/types.ts';
import { TASK_STATE_CHANGE, type EcsEvent, type EcsTaskDetail } from './ecs-events.ts';
import { cordoned } from '../scheduler/cordon.ts';
import type { Held, HostReservations } from '../scheduler/reservations.ts';
import { hostNameOf } from './ecs-hosts.ts';
import { NotOwnedError, ownedByBerth } from './ownership.ts';
import { taskAddress } from './pod-network.ts';
import {
  PROXY_RESERVATION, PROXY_ROOM_PREFIX, PROXY_TAGS, proxyContentHash, proxyOfRoomKey, proxyRoomKey, proxyRoomPrefix, proxyRunTaskInput, proxyServiceOf, proxyTags, proxyTaskDefinitionInput, proxyToken, type ServiceProxySettings,
} from './service-proxy-task.ts';

const STOP_REASON = 'Berth: the Service was deleted or its proxy replaced';

export interface EcsServiceProxiesOptions extends ServiceProxySettings {
  client: Pick<ECSClient, 'send'>;
  cluster: string;
  /** The tenant hosts' private subnets, where the proxies' interfaces go. */
  subnets: string[];
  /** The project's security group (project-security-groups.ts), made when missing. */
  securityGroupOf(project: string): Promise<string>;
  /** The tenant hosts' room, where each proxy's reservation is counted (the Host objects). */
  room: Pick<HostReservations, 'held' | 'reserve' | 'hold' | 'release' | 'wanted' | 'unwant'>;
}

/** A host a proxy may be run on: one of the ECS fleet's, with the EC2 instance RunTask's constraint names. */
const proxyHost = (h: Host): boolean => h.spec.provider === 'ecs' && !!h.spec.endpoint && !!h.spec.instanceId;

export class EcsServiceProxies implements ServiceProxies {
  /** Registered task definitions by content hash: a warm function registers nothing again. */
  private readonly taskDefinitions = new Map<string, string>();

  constructor(private readonly o: EcsServiceProxiesOptions) {}

  private async send<T>(command: object): Promise<T> {
    return (await this.o.client.send(command as never)) as T;
  }

  /** The Service's proxy tasks that ECS means to keep running; any not tagged as Berth's for that Service is refused. */
  private async tasks(project: string, service: string): Promise<Task[]> {
    const { taskArns = [] } = await this.send<{ taskArns?: string[] }>(new ListTasksCommand({ cluster: this.o.cluster, startedBy: proxyToken(project, service), desiredStatus: 'RUNNING' }));
    if (!taskArns.length) return [];
    const { tasks = [] } = await this.send<{ tasks?: Task[] }>(new DescribeTasksCommand({ cluster: this.o.cluster, tasks: taskArns, include: ['TAGS'] }));
    for (const t of tasks) {
      const tags = tagMap(t.tags);
      if (!ownedByBerth(tags, project) || tags[PROXY_TAGS.service] !== service) throw new NotOwnedError(`ECS task ${t.taskArn}`);
    }
    return tasks.filter((t) => t.desiredStatus !== 'STOPPED');
  }

  private async taskDefinition(spec: ServiceProxySpec, hash: string, input: ReturnType<typeof proxyTaskDefinitionInput>): Promise<string> {
    const cached = this.taskDefinitions.get(hash);
    if (cached) return cached;
    const latest = await this.send<{ taskDefinition?: { taskDefinitionArn?: string; status?: string }; tags?: { key?: string; value?: string }[] }>(
      new DescribeTaskDefinitionCommand({ taskDefinition: input.family, include: ['TAGS'] }),
    ).catch((err: unknown) => {
      // A family ECS has never seen.
      if ((err as { name?: string }).name === 'ClientException') return undefined;
      throw err;
    });
    let arn = latest?.taskDefinition?.status === 'ACTIVE' && tagMap(latest.tags)[PROXY_TAGS.contentHash] === hash ? latest.taskDefinition.taskDefinitionArn : undefined;
    if (!arn) {
      const out = await this.send<{ taskDefinition?: { taskDefinitionArn?: string } }>(new RegisterTaskDefinitionCommand({ ...input, tags: proxyTags(spec, hash) }));
      arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error(`ECS registered no task definition for family ${input.family}`);
    }
    this.taskDefinitions.set(hash, arn);
    return arn;
  }

  async ensure(spec: ServiceProxySpec): Promise<{ address?: string }> {
    const input = proxyTaskDefinitionInput(spec, this.o);
    const hash = proxyContentHash(input);
    const tasks = await this.tasks(spec.project, spec.service);
    const { held, hosts } = await this.o.room.held(proxyRoomPrefix(spec.project, spec.service));
    // A task on a cordoned host is replaced as one of an older spec is: it must leave, so that the host can.
    const leaving = new Set(hosts.filter(cordoned).map((h) => h.metadata.name));
    const ofSpec = tasks.filter((t) => tagMap(t.tags)[PROXY_TAGS.contentHash] === hash);
    const current = ofSpec.filter((t) => !leaving.has(this.hostOf(t) ?? ''));
    const answering = (list: Task[]) => list.find((t) => t.lastStatus === 'RUNNING' && taskAddress(t));
    let running = answering(current);
    const live = tasks.flatMap((t) => this.heldBy(spec, t));
    if (!current.length) {
      try {
        live.push(await this.run(spec, input, hash, hosts));
      } catch (err) {
        // No room elsewhere yet (it is wanted: the autoscaler grows the fleet, or reopens the host):
        // the proxy being moved keeps answering, and the Service's names stay in sync meanwhile.
        running = answering(ofSpec);
        if (!running) throw err;
      }
    }
    // The room follows the tasks: booked where one is, given back where none is any more.
    for (const l of live) if (!held.some((h) => h.host === l.host && h.key === l.key)) await this.o.room.hold(l.host, l.key, PROXY_RESERVATION);
    for (const h of held) if (!live.some((l) => l.host === h.host && l.key === h.key)) await this.o.room.release(h);
    if (!running) return {};
    // The old proxies go once the new one answers; a second current one (two passes raced) goes too.
    for (const t of tasks) if (t !== running) await this.stop(t);
    return { address: taskAddress(running)! };
  }

  /** Where a task of the Service's holds its room: its host and its content hash's key. */
  private heldBy(spec: ServiceProxySpec, t: Task): Held[] {
    const host = this.hostOf(t);
    return host ? [{ host, key: proxyRoomKey(spec.project, spec.service, tagMap(t.tags)[PROXY_TAGS.contentHash] ?? '') }] : [];
  }

  /** The Host a task runs on, once ECS has placed it. */
  private hostOf(t: Task): string | undefined {
    return t.containerInstanceArn ? hostNameOf(t.containerInstanceArn) : undefined;
  }

  /** Reserves a host's room for the proxy, then runs it there; the room is given back when ECS refuses. */
  private async run(spec: ServiceProxySpec, input: ReturnType<typeof proxyTaskDefinitionInput>, hash: string, hosts: Host[]): Promise<Held> {
    const key = proxyRoomKey(spec.project, spec.service, hash);
    const placed = await this.o.room.reserve({ key, request: PROXY_RESERVATION, eligible: proxyHost, holder: proxyRoomPrefix(spec.project, spec.service) }, hosts);
    const what = `the proxy of Service ${spec.project}/${spec.service}`;
    if ('unschedulable' in placed) throw new Error(`no tenant host has room for ${what} (64 CPU units, 32 MiB): ${placed.unschedulable}`);
    const at = { host: placed.host.metadata.name, key };
    const taskDefinition = await this.taskDefinition(spec, hash, input);
    const securityGroup = await this.o.securityGroupOf(spec.project);
    const out = await this.send<{ tasks?: Task[]; failures?: { arn?: string; reason?: string; detail?: string }[] }>(
      new RunTaskCommand(proxyRunTaskInput(spec, { cluster: this.o.cluster, taskDefinition, hash, subnets: this.o.subnets, securityGroup, ec2InstanceId: placed.host.spec.instanceId! })),
    );
    // ECS API Reference, RunTask: a task ECS could not place is a failure (RESOURCE:MEMORY, …), not an error.
    if (!out.tasks?.length) {
      await this.o.room.release(at);
      throw new Error(`ECS could not run ${what} on host ${at.host}: ${(out.failures ?? []).map((f) => f.reason ?? f.detail).join(', ') || 'no task'}`);
    }
    return at;
  }

  async remove(project: string, service: string): Promise<'done' | 'pending'> {
    for (const t of await this.tasks(project, service)) await this.stop(t);
    for (const h of (await this.o.room.held(proxyRoomPrefix(project, service))).held) await this.o.room.release(h);
    // Room it waited for is no longer wanted: the autoscaler must not grow the fleet for it.
    await this.o.room.unwant(proxyRoomPrefix(project, service));
    return 'done';
  }

  async waiting(): Promise<{ project: string; service: string }[]> {
    return (await this.o.room.wanted(PROXY_ROOM_PREFIX)).flatMap((w) => proxyOfRoomKey(w.key) ?? []);
  }

  private async stop(task: Task): Promise<void> {
    await this.send(new StopTaskCommand({ cluster: this.o.cluster, task: task.taskArn, reason: STOP_REASON }));
  }
}

/**
 * A proxy task's state change ("ECS Task State Change", Developer Guide: "Amazon ECS task state
 * change events"): its Service is reconciled at once, so a proxy that stopped is replaced (and
 * its room given back) without waiting for the resync, and one that runs is named as soon as it
 * has its address. Only RUNNING and STOPPED matter; any task that is not a Service's proxy is
 * left to the pods' handling. The reconciler checks the tasks' tags itself: the event only says
 * which Service to look at.
 * @example await proxyTaskEvent(event, serviceDiscoveryReconciler(store, names, proxies))
 */
export async function proxyTaskEvent(event: EcsEvent, discovery: Pick<Reconciler, 'reconcile'>): Promise<{ service: string } | { ignored: string }> {
  if (event['detail-type'] !== TASK_STATE_CHANGE) return { ignored: `not a task state change: ${event['detail-type']}` };
  const task = event.detail as EcsTaskDetail;
  const proxy = proxyServiceOf(task);
  if (!proxy) return { ignored: 'not the task of a Service\'s proxy' };
  if (task.lastStatus !== 'RUNNING' && task.lastStatus !== 'STOPPED') return { ignored: `the proxy task is ${task.lastStatus}` };
  await discovery.reconcile({ kind: 'Service', project: proxy.project, name: proxy.service });
  return { service: `${proxy.project}/${proxy.service}` };
}
