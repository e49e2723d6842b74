// exec, rsh and port-forward where the platform brokers sessions through its cloud (on AWS: the
// API opens an ECS Exec or Session Manager session and answers with its stream URL and token):
// the CLI joins the session's data channel itself (shared/streams/ssm-channel.ts). Loaded only
// by those commands.
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { BrokeredSession } from '../shared/fleet/ports.ts';
import { FLAG } from '../shared/streams/ssm-frames.ts';
import { SsmDataChannel } from '../shared/streams/ssm-channel.ts';
import type { ApiClient } from './client.ts';
import type { Context } from './context.ts';
import { CliError } from './errors.ts';
import { ExitMarkerFilter } from './exit-marker.ts';
import { releaseTerminal } from './pod-session.ts';

/** Ctrl-D: end of input through the session's terminal (ECS Exec sessions always have one). */
const EOT = 0x04;

/** Asks the API for a session (POST to the exec or portforward path). */
export async function openBrokered(client: ApiClient, path: string, body: Record<string, unknown>): Promise<BrokeredSession> {
  return client.post<BrokeredSession>(path, body);
}

const channelOf = (s: BrokeredSession) => new SsmDataChannel(new WebSocket(s.streamUrl, { perMessageDeflate: false }), s.tokenValue);

/** Runs a brokered exec session to its end; resolves with the command's exit code. */
export async function runBrokeredExec(ctx: Context, session: BrokeredSession, req: { stdin: boolean; tty: boolean }): Promise<number> {
  const { io } = ctx;
  const ch = channelOf(session);
  const filter = session.exitMarker ? new ExitMarkerFilter(session.exitMarker) : undefined;
  const input = req.stdin ? io.stdin : undefined;
  const raw = req.tty && input?.isTTY && input.setRawMode ? input : undefined;
  let reported: number | undefined;
  let lastByte = 0x0a;
  const sendSize = () => io.terminal?.columns && io.terminal.rows && ch.resize(io.terminal.columns, io.terminal.rows);
  const onInput = (d: Buffer | string) => {
    const b = typeof d === 'string' ? Buffer.from(d) : d;
    if (b.length) lastByte = b[b.length - 1]!;
    ch.write(b);
  };
  // A line not ended by a newline takes one Ctrl-D to be read, and one more for the end of input.
  const onEnd = () => ch.write(Buffer.from(lastByte === 0x0a ? [EOT] : [EOT, EOT]));
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    if (req.tty) sendSize();
    io.terminal?.on('resize', sendSize);
    if (input) {
      raw?.setRawMode?.(true);
      input.on('data', onInput);
      input.once('end', onEnd);
      input.resume();
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      ch.once('ready', start);
      ch.on('output', (d) => {
        start();
        const out = filter ? filter.push(d) : d;
        if (out.length) io.stdout.write(out as never);
      });
      ch.on('stderr', (d) => io.stderr.write(d as never));
      ch.on('exitCode', (c) => (reported = c));
      ch.on('error', (err) => reject(new CliError(`the session with the pod broke off: ${err.message}`, 'try again; the session may have expired')));
      ch.once('closed', () => resolve());
    });
  } finally {
    releaseTerminal({ raw, input, onInput, onEnd, terminal: io.terminal, sendSize });
  }
  const rest = filter?.flush();
  if (rest?.length) io.stdout.write(rest as never);
  const code = reported ?? filter?.code;
  if (code === undefined) throw new CliError('the session with the pod ended without an exit code', 'the command may have been stopped with its pod; try again');
  return code;
}

/**
 * Joins one accepted local connection to a new port-forwarding session (Session Manager's basic
 * port forwarding carries one connection per session). `fail` reports a problem and closes `local`.
 */
export function tunnelBrokered(client: ApiClient, path: string, port: number, local: Socket, fail: (why: string) => void): void {
  let ch: SsmDataChannel | undefined;
  local.once('close', () => {
    ch?.flag(FLAG.terminateSession);
    ch?.close();
  });
  openBrokered(client, path, { port }).then(
    (session) => {
      if (local.destroyed) return;
      const channel = channelOf(session);
      ch = channel;
      channel.once('ready', () => {
        local.on('data', (d: Buffer) => channel.write(d));
        local.resume();
      });
      channel.on('output', (d) => local.write(d));
      channel.on('flag', (f) => f === FLAG.connectToPortError && fail(`the pod refused the connection to port ${port}`));
      channel.on('error', (err) => fail(err.message));
      channel.once('closed', () => local.end());
    },
    (err: Error) => fail(err.message),
  );
}
