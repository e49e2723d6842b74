// The client end of a Session Manager data channel over a WebSocket (ssm-frames.ts): opens it
// with the session's token, answers the agent's handshake, acknowledges every stream message and
// delivers them in sequence order (holding early ones), numbers what it sends and sends again
// what the agent has not acknowledged. Used by the CLI for ECS Exec (exec, rsh) and port-forward
// sessions on AWS.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { FrameError, MESSAGE_TYPE, PAYLOAD, ackOf, decodeMessage, encodeMessage, handshakeResponse, openDataChannel, sizePayload, flagPayload, type AgentMessage, type AckContent } from './ssm-frames.ts';

export const CLIENT_VERSION = '1.2.0.0';
/** Unacknowledged input is sent again after this long, at most RESEND_LIMIT times. */
const RESEND_MS = 1_500;
const RESEND_LIMIT = 20;

export interface SsmChannelEvents {
  /** The handshake is complete: input may flow (port sessions wait for it). */
  ready: [sessionType: string | undefined];
  output: [data: Buffer];
  stderr: [data: Buffer];
  exitCode: [code: number];
  /** A flag from the agent (FLAG). */
  flag: [flag: number];
  /** The channel ended: the agent closed it (with its reason), or the socket went. */
  closed: [reason: string];
  error: [err: Error];
}

/**
 * One session's data channel.
 * @example const ch = new SsmDataChannel(new WebSocket(streamUrl), tokenValue); ch.on('output', (d) => process.stdout.write(d))
 */
export class SsmDataChannel extends EventEmitter<SsmChannelEvents> {
  private nextOut = 0;
  private expected = 0;
  private readonly early = new Map<number, AgentMessage>();
  private readonly unacked = new Map<number, { bytes: Buffer; sent: number; tries: number }>();
  private readonly timer: NodeJS.Timeout;
  private ended = false;
  sessionType?: string;

  constructor(
    private readonly ws: WebSocket,
    tokenValue: string,
    readonly clientId: string = randomUUID(),
  ) {
    super();
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => {
      ws.send(openDataChannel(tokenValue, clientId, CLIENT_VERSION));
      // What was written before the socket opened goes now, in order.
      for (const m of this.unacked.values()) {
        m.sent = Date.now();
        ws.send(m.bytes);
      }
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      try {
        this.receive(decodeMessage(data));
      } catch (err) {
        // A damaged frame is dropped unacknowledged: the agent sends it again.
        if (!(err instanceof FrameError)) this.fail(err as Error);
      }
    });
    ws.once('close', (_code, reason) => this.end(reason.toString('utf8') || 'the data channel closed'));
    ws.once('error', (err) => this.fail(err));
    this.timer = setInterval(() => this.resend(), RESEND_MS / 3);
    this.timer.unref();
  }

  /** Sends input bytes (payload type output, as the agent names keyboard input). */
  write(data: Uint8Array): void {
    this.send(PAYLOAD.output, Buffer.from(data));
  }

  /** The terminal's size. */
  resize(cols: number, rows: number): void {
    this.send(PAYLOAD.size, sizePayload(cols, rows));
  }

  /** A flag to the agent (FLAG.terminateSession ends the session, FLAG.disconnectToPort a port connection). */
  flag(flag: number): void {
    this.send(PAYLOAD.flag, flagPayload(flag));
  }

  close(): void {
    this.end('closed by the client');
    this.ws.close(1000);
  }

  private send(payloadType: number, payload: Buffer): void {
    if (this.ended) return;
    const seq = this.nextOut++;
    const bytes = encodeMessage({ messageType: MESSAGE_TYPE.input, sequenceNumber: seq, flags: seq === 0 ? 1 : 0, payloadType, payload });
    this.unacked.set(seq, { bytes, sent: Date.now(), tries: 0 });
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(bytes);
  }

  /** Reports the error (to listeners of 'error' only) and ends the channel. */
  private fail(err: Error): void {
    if (this.ended) return;
    if (this.listenerCount('error')) this.emit('error', err);
    this.end(err.message);
    this.ws.terminate();
  }

  private resend(): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const now = Date.now();
    for (const [seq, m] of this.unacked) {
      if (now - m.sent < RESEND_MS) continue;
      if (++m.tries > RESEND_LIMIT) {
        this.fail(new Error(`the agent did not acknowledge message ${seq}`));
        return;
      }
      m.sent = now;
      this.ws.send(m.bytes);
    }
  }

  private receive(m: AgentMessage): void {
    switch (m.messageType) {
      case MESSAGE_TYPE.ack: {
        const ack = JSON.parse(m.payload.toString('utf8')) as AckContent;
        this.unacked.delete(ack.AcknowledgedMessageSequenceNumber);
        return;
      }
      case MESSAGE_TYPE.closed: {
        const { Output } = JSON.parse(m.payload.toString('utf8')) as { Output?: string };
        this.end(Output || 'the session ended');
        this.ws.close(1000);
        return;
      }
      case MESSAGE_TYPE.output:
        this.ws.send(ackOf(m));
        if (m.sequenceNumber < this.expected) return; // a copy of one delivered already
        this.early.set(m.sequenceNumber, m);
        for (let next = this.early.get(this.expected); next; next = this.early.get(this.expected)) {
          this.early.delete(this.expected);
          this.expected++;
          this.deliver(next);
        }
        return;
      default:
        // start_publication, pause_publication: flow control this client does not need.
        return;
    }
  }

  private deliver(m: AgentMessage): void {
    switch (m.payloadType) {
      case PAYLOAD.output:
        this.emit('output', m.payload);
        return;
      case PAYLOAD.stderr:
        this.emit('stderr', m.payload);
        return;
      case PAYLOAD.exitCode:
        this.emit('exitCode', Number.parseInt(m.payload.toString('utf8'), 10));
        return;
      case PAYLOAD.flag:
        this.emit('flag', m.payload.length >= 4 ? m.payload.readUInt32BE(0) : -1);
        return;
      case PAYLOAD.handshakeRequest: {
        const answer = handshakeResponse(m.payload, CLIENT_VERSION);
        this.sessionType = answer.sessionType;
        this.send(PAYLOAD.handshakeResponse, answer.payload);
        return;
      }
      case PAYLOAD.handshakeComplete:
        this.emit('ready', this.sessionType);
        return;
      default:
        return;
    }
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.emit('closed', reason);
  }
}
