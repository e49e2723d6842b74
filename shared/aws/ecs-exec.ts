// Sessions into pods on ECS hosts, brokered by the API: the pod's running task is found by its
// `startedBy` token and checked by its tags (Berth's, this project's, this pod's: STYLE 7), then
// ECS Exec opens a command session (ECS API Reference, "ExecuteCommand": cluster, task, container,
// interactive, command in; session{sessionId, streamUrl, tokenValue} out) or Session Manager a
// port-forwarding one on the task's SSM target `ecs:<cluster>_<task id>_<runtime id>` (Systems
// Manager API Reference, "StartSession": Target, DocumentName, Parameters in; SessionId,
// StreamUrl, TokenValue out). The CLI speaks the data channel itself (shared/streams/ssm-channel.ts).
//
// ECS Exec runs the command as the SSM agent's user (root in the container) through `sh -c`, and
// reports no exit code on every agent version: the command is wrapped so that it runs as the
// pod's UID and its exit status is printed after a marker only this session knows.
import { randomBytes } from 'node:crypto';
import { DescribeTasksCommand, ExecuteCommandCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import { StartSessionCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { BerthError, ConflictError } from '../errors.ts';
import { POD_TAGS, podToken, tagMap } from './ecs-pod-spec.ts';
import { ownedByBerth, PROJECT_TAG } from './ownership.ts';
import type { BrokeredSession, PodSessionBroker } from '../fleet/ports.ts';

/** Session Manager's document for port forwarding into a target. */
export const PORT_FORWARDING_DOCUMENT = 'AWS-StartPortForwardingSession';

export interface EcsExecOptions {
  ecs: Pick<ECSClient, 'send'>;
  /** Session Manager (port-forward); without it port-forward is a 501. */
  ssm?: Pick<SSMClient, 'send'>;
  /** The cluster's name (the SSM target names it, not its ARN). */
  cluster: string;
  /** The UID a project's pods run as. */
  uidFor: (project: string) => Promise<number>;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The shell script every exec runs under: as the pod's UID (dropping to it with setpriv when the
 * agent runs it as another user), terminal echo off when no terminal was asked for, the command
 * as a child, then its status after the marker. Arguments: UID, MARKER, TTY (1/0), the command.
 */
export const EXEC_WRAPPER =
  'u=$1 m=$2 t=$3; shift 3; ' +
  '[ "$t" = 1 ] || stty -echo -onlcr 2>/dev/null; ' +
  'if [ "$(id -u)" != "$u" ]; then ' +
  'if command -v setpriv >/dev/null 2>&1; then set -- setpriv --reuid="$u" --regid=0 --clear-groups -- "$@"; ' +
  'else echo "berth: the image has no setpriv to run as the pod\'s UID $u" >&2; printf \'\\n%s%d\\n\' "$m" 126; exit 126; fi; fi; ' +
  '"$@"; s=$?; printf \'\\n%s%d\\n\' "$m" "$s"; exit "$s"';

/** The one command string ExecuteCommand takes (the agent runs it with `sh -c`). */
export function wrappedCommand(command: string[], uid: number, marker: string, tty: boolean): string {
  return ['/bin/sh', '-c', EXEC_WRAPPER, 'berth-exec', String(uid), marker, tty ? '1' : '0', ...command].map(quote).join(' ');
}

export class EcsExecBroker implements PodSessionBroker {
  constructor(private readonly o: EcsExecOptions) {}

  /** The pod's running task, Berth's and this pod's by its tags; a pod without one is a 409. */
  async runningTask(project: string, pod: string): Promise<Task> {
    const { ecs, cluster } = this.o;
    const listed = await ecs.send(new ListTasksCommand({ cluster, startedBy: podToken(project, pod), desiredStatus: 'RUNNING' }));
    const arns = listed.taskArns ?? [];
    const tasks = arns.length ? ((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns, include: ['TAGS'] }))).tasks ?? []) : [];
    const task = tasks.find((t) => {
      const tags = tagMap(t.tags);
      return t.lastStatus === 'RUNNING' && ownedByBerth(tags, project) && tags[PROJECT_TAG] === project && tags[POD_TAGS.pod] === pod;
    });
    if (!task?.taskArn) throw new ConflictError(`pod ${pod} has no running task`, `see its state with: berth describe pod/${pod}`);
    return task;
  }

  /** An ECS Exec session running `command` in the pod's container (interactive: ECS Exec offers no other mode). */
  async exec(project: string, pod: string, req: { command: string[]; tty: boolean }): Promise<BrokeredSession> {
    const task = await this.runningTask(project, pod);
    const uid = await this.o.uidFor(project);
    const exitMarker = `@@berth-exit-${randomBytes(12).toString('hex')}:`;
    const input = { cluster: this.o.cluster, task: task.taskArn, container: task.containers?.[0]?.name, interactive: true, command: wrappedCommand(req.command, uid, exitMarker, req.tty) };
    const out = await this.o.ecs.send(new ExecuteCommandCommand(input)).catch((err: unknown) => notConnected(err, pod));
    return { ...sessionOf(out.session?.sessionId, out.session?.streamUrl, out.session?.tokenValue, 'ExecuteCommand'), exitMarker };
  }

  /** A Session Manager session forwarding to `port` of the pod's container (one TCP connection per session). */
  async portForward(project: string, pod: string, port: number): Promise<BrokeredSession> {
    const { ssm, cluster } = this.o;
    if (!ssm) throw new BerthError(501, 'PortForwardNotAvailable', `the ports of pod ${pod} cannot be reached from here`, { suggestion: 'the API is not given a Session Manager client' });
    const task = await this.runningTask(project, pod);
    const runtimeId = task.containers?.[0]?.runtimeId;
    if (!runtimeId) throw new ConflictError(`pod ${pod}'s container has not started yet`, 'try again in a moment');
    const taskId = task.taskArn!.split('/').pop()!;
    const out = await ssm
      .send(new StartSessionCommand({ Target: `ecs:${cluster}_${taskId}_${runtimeId}`, DocumentName: PORT_FORWARDING_DOCUMENT, Parameters: { portNumber: [String(port)] } }))
      .catch((err: unknown) => notConnected(err, pod));
    return sessionOf(out.SessionId, out.StreamUrl, out.TokenValue, 'StartSession');
  }
}

/**
 * The errors that mean the task's Session Manager agent cannot take a session (ECS:
 * TargetNotConnectedException, or an InvalidParameterException for a task started without ECS
 * Exec; SSM: TargetNotConnected) as a 503 saying so; anything else as it came.
 */
function notConnected(err: unknown, pod: string): never {
  const e = err as { name?: string; message?: string };
  if (e.name === 'TargetNotConnectedException' || e.name === 'TargetNotConnected' || (e.name === 'InvalidParameterException' && /execute command/i.test(e.message ?? ''))) {
    throw new BerthError(503, 'SessionNotAvailable', `pod ${pod} cannot take a session now: ${e.message ?? e.name}`, {
      suggestion: 'a pod started before ECS Exec was enabled takes sessions once it is replaced (berth rollout latest); a new one, once its agent is connected',
    });
  }
  throw err;
}

function sessionOf(sessionId: string | undefined, streamUrl: string | undefined, tokenValue: string | undefined, call: string): BrokeredSession {
  if (!sessionId || !streamUrl || !tokenValue) throw new BerthError(502, 'NoSession', `${call} answered without a session`, { suggestion: 'try again; is the Session Manager agent running in the task?' });
  return { sessionId, streamUrl, tokenValue };
}
