// Sessions into pods on ECS hosts, brokered by the API: the pod's running task is found by its
// `startedBy` token and checked by its tags (Berth's, this project's, this pod's: STYLE 7), then
// ECS Exec opens a command session (ECS API Reference, "ExecuteCommand": cluster, task, container,
// interactive, command in; session{sessionId, streamUrl, tokenValue} out) or Session Manager a
// port-forwarding one on the task's SSM target `ecs:<cluster>_<task id>_<runtime id>` (Systems
// Manager API Reference, "StartSession": Target, DocumentName, Parameters in; SessionId,
// StreamUrl, TokenValue out). The CLI speaks the data channel itself (shared/streams/ssm-channel.ts).
//
// ECS Exec runs the command as the SSM agent's user (root in the container, holding only the
// capabilities the task definition keeps for it: ecs-pod-spec.ts execSecurityOf) through `sh -c`,
// and reports no exit code on every agent version: the command is wrapped so that it runs as the
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

/** A shell word: single-quoted, any single quote inside closed, escaped and reopened. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Where the wrapper looks for setpriv: system directories only, never the image's PATH (which the app's group may write). */
export const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'] as const;

/**
 * What runs as the pod's UID: terminal echo off when no terminal was asked for, then the command
 * in place of this shell. Arguments: TTY (1/0), the command.
 */
const AS_POD = '[ "$0" = 1 ] || stty -echo -onlcr 2>/dev/null; exec "$@"';

/**
 * The shell script every exec runs under. Arguments: UID, MARKER, TTY (1/0), the command. As
 * root (the agent's user) it reads its own credentials from /proc/self/status with shell
 * built-ins, and runs nothing of the image but its /bin/sh and setpriv (from a system directory,
 * never looked up in PATH), that only when it holds CAP_SETUID and CAP_SETGID: a pod started
 * without them is refused with 126, as is an image without setpriv. setpriv takes exactly the
 * app's identity (the UID, group 0, supplementary group 0), clears the inheritable set and sets
 * no-new-privileges, so the command has no capability and can gain none. The command runs as a
 * child; its status is printed after the marker. Already the pod's UID, it runs the command as is.
 */
export const EXEC_WRAPPER =
  'u=$1 m=$2 t=$3; shift 3; r= e=0; ' +
  'while read -r k v _; do case $k in Uid:) r=$v;; CapEff:) e=$v;; esac; done </proc/self/status; ' +
  `set -- /bin/sh -c ${quote(AS_POD)} "$t" "$@"; ` +
  'refuse() { echo "berth: $1" >&2; printf \'\\n%s%d\\n\' "$m" 126; exit 126; }; ' +
  'if [ "$r" != "$u" ]; then ' +
  `p=; for x in ${SETPRIV_PATHS.join(' ')}; do if [ -x "$x" ]; then p=$x; break; fi; done; ` +
  '[ -n "$p" ] || refuse "the image has no setpriv (in /usr/bin or /bin) to run as the pod\'s UID $u"; ' +
  '[ $((0x$e & 0xc0)) = 192 ] || refuse "this pod cannot switch to its UID $u (it was started without CAP_SETUID and CAP_SETGID for ECS Exec): replace it with berth rollout latest"; ' +
  'set -- "$p" --reuid="$u" --regid=0 --groups=0 --inh-caps=-all --no-new-privs -- "$@"; ' +
  'fi; ' +
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
