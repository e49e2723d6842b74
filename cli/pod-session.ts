// A session with a command in a pod (exec, rsh) over the API's WebSocket: stdin in (raw, when
// the local terminal is one and a TTY was asked for), stdout and stderr out apart, the window size
// on every resize, and the remote exit code as the result. Loaded only with the group of exec, rsh
// and port-forward (it brings the WebSocket library).
import WebSocket from 'ws';
import { CHANNEL, frame, unframe, type StreamStatus } from '../shared/streams/channels.ts';
import type { ApiClient } from './client.ts';
import type { Context } from './context.ts';
import { CliError } from './errors.ts';

export interface SessionRequest {
  /** The exec path of the pod: /api/v1/projects/P/pods/NAME/exec. */
  path: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/** The local terminal's side of a session: what to undo when it ends. */
export interface TerminalHooks {
  raw?: { setRawMode?: (on: boolean) => unknown };
  input?: NodeJS.ReadableStream;
  onInput: (d: Buffer | string) => unknown;
  onEnd: () => unknown;
  terminal?: { off(event: 'resize', listener: () => void): unknown };
  sendSize: () => void;
}

/** Gives the terminal back as it was: cooked mode, no listeners, input paused. */
export function releaseTerminal(t: TerminalHooks): void {
  t.raw?.setRawMode?.(false);
  t.input?.off('data', t.onInput);
  t.input?.off('end', t.onEnd);
  t.input?.pause();
  t.terminal?.off('resize', t.sendSize);
}

class Refused extends Error {
  constructor(readonly status: number) {
    super(`refused: ${status}`);
  }
}

/** Runs the command; resolves with its exit code. */
export async function runPodSession(ctx: Context, client: ApiClient, req: SessionRequest): Promise<number> {
  const query = new URLSearchParams(req.command.map((c): [string, string] => ['command', c]));
  if (req.stdin) query.set('stdin', '1');
  if (req.tty) query.set('tty', '1');
  const url = `${client.server.replace(/^http/, 'ws')}${req.path}?${query}`;
  const ws = new WebSocket(url, { headers: client.authHeaders(), perMessageDeflate: false });
  const { io } = ctx;
  const input = req.stdin ? io.stdin : undefined;
  const raw = req.tty && input?.isTTY && input.setRawMode ? input : undefined;
  const sendSize = () => {
    if (ws.readyState === WebSocket.OPEN && io.terminal?.columns && io.terminal.rows) ws.send(frame(CHANNEL.resize, JSON.stringify({ cols: io.terminal.columns, rows: io.terminal.rows })));
  };
  const onInput = (d: Buffer | string) => ws.readyState === WebSocket.OPEN && ws.send(frame(CHANNEL.stdin, typeof d === 'string' ? Buffer.from(d) : d));
  const onEnd = () => ws.readyState === WebSocket.OPEN && ws.send(frame(CHANNEL.stdin, ''));
  let status: StreamStatus | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Refused(res.statusCode ?? 0));
      });
      ws.once('error', reject);
      ws.once('open', () => {
        if (req.tty) sendSize();
        if (input) {
          raw?.setRawMode?.(true);
          input.on('data', onInput);
          input.once('end', onEnd);
          input.resume();
        }
        io.terminal?.on('resize', sendSize);
      });
      ws.on('message', (data: Buffer) => {
        const m = unframe(data);
        if (m?.channel === CHANNEL.stdout) io.stdout.write(m.data as never);
        else if (m?.channel === CHANNEL.stderr) io.stderr.write(m.data as never);
        else if (m?.channel === CHANNEL.status) {
          // The last message: the session's result is known, its closing handshake need not be waited for.
          status = JSON.parse(m.data.toString('utf8')) as StreamStatus;
          ws.close();
          resolve();
        }
      });
      ws.once('close', () => resolve());
    });
  } catch (err) {
    if (!(err instanceof Refused)) throw new CliError(`the session with the pod broke off: ${(err as Error).message}`, 'is the platform running?');
    // A refused upgrade carries no reason: the same request as a plain GET gets it (and throws).
    // Where the API serves no WebSocket (AWS), that GET says it brokers the session instead: POST to the same path.
    const text = await (await client.open('GET', `${req.path}?${query}`)).text();
    const answer = (() => {
      try {
        return JSON.parse(text) as { transport?: string };
      } catch {
        return {};
      }
    })();
    if (answer.transport === 'brokered') {
      const { openBrokered, runBrokeredExec } = await import('./ssm-session.ts');
      return runBrokeredExec(ctx, await openBrokered(client, req.path, { command: req.command, stdin: req.stdin, tty: req.tty }), req);
    }
    throw new CliError(`the server refused the session (${err.status})`, 'check that the server URL points at a Berth API');
  } finally {
    releaseTerminal({ raw, input, onInput, onEnd, terminal: io.terminal, sendSize });
  }
  if (status?.error) throw new CliError(`the command failed in the pod: ${status.error}`);
  if (status?.exitCode === undefined) throw new CliError('the session with the pod ended without an exit code', 'the platform may have restarted; try again');
  return status.exitCode;
}
