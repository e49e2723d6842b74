// The frames of a Session Manager data channel (what ECS Exec and SSM port-forwarding sessions
// speak over the WebSocket at a session's `streamUrl`): every binary message is one AgentMessage,
// big-endian, laid out as AWS's session-manager-plugin documents it (src/message/clientmessage.go):
//
//   offset  size  field
//        0     4  header length (116: the offset of the payload length)
//        4    32  message type, UTF-8, padded with spaces (input_stream_data, output_stream_data,
//                 acknowledge, channel_closed, start_publication, pause_publication)
//       36     4  schema version (1)
//       40     8  created date, epoch milliseconds
//       48     8  sequence number (of the sender's stream; 0 for acknowledgements)
//       56     8  flags (bit 0 SYN, bit 1 FIN; acknowledgements carry 3)
//       64    16  message id, a UUID: its low 8 bytes first, then its high 8 bytes
//       80    32  SHA-256 digest of the payload
//      112     4  payload type (1 output, 2 error, 3 size, 5-7 handshake, 10 flag, 11 stderr, 12 exit code)
//      116     4  payload length
//      120     …  payload
import { createHash, randomUUID } from 'node:crypto';

export const MESSAGE_TYPE = {
  input: 'input_stream_data',
  output: 'output_stream_data',
  ack: 'acknowledge',
  closed: 'channel_closed',
  startPublication: 'start_publication',
  pausePublication: 'pause_publication',
} as const;

export const PAYLOAD = {
  output: 1,
  error: 2,
  size: 3,
  parameter: 4,
  handshakeRequest: 5,
  handshakeResponse: 6,
  handshakeComplete: 7,
  encChallengeRequest: 8,
  encChallengeResponse: 9,
  flag: 10,
  stderr: 11,
  exitCode: 12,
} as const;

/** Flag payloads (a 4-byte big-endian number in a `flag` message): port sessions' connection control. */
export const FLAG = { disconnectToPort: 1, terminateSession: 2, connectToPortError: 3 } as const;

const TYPE_LENGTH = 32;
const OFF = { hl: 0, type: 4, version: 36, created: 40, seq: 48, flags: 56, id: 64, digest: 80, payloadType: 112, payloadLength: 116, payload: 120 } as const;
export const HEADER_LENGTH = OFF.payloadLength;

export interface AgentMessage {
  messageType: string;
  schemaVersion: number;
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  /** A UUID, with hyphens. */
  messageId: string;
  payloadType: number;
  payload: Buffer;
}

export class FrameError extends Error {}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** One message as its bytes, the digest computed. */
export function encodeMessage(m: Partial<AgentMessage> & Pick<AgentMessage, 'messageType' | 'payload'>): Buffer {
  const payload = m.payload;
  const out = Buffer.alloc(OFF.payload + payload.length);
  out.writeUInt32BE(HEADER_LENGTH, OFF.hl);
  if (Buffer.byteLength(m.messageType) > TYPE_LENGTH) throw new FrameError(`message type ${m.messageType} is longer than ${TYPE_LENGTH} bytes`);
  out.fill(' ', OFF.type, OFF.type + TYPE_LENGTH);
  out.write(m.messageType, OFF.type, 'utf8');
  out.writeUInt32BE(m.schemaVersion ?? 1, OFF.version);
  out.writeBigUInt64BE(BigInt(m.createdDate ?? Date.now()), OFF.created);
  out.writeBigInt64BE(BigInt(m.sequenceNumber ?? 0), OFF.seq);
  out.writeBigUInt64BE(BigInt(m.flags ?? 0), OFF.flags);
  const id = Buffer.from((m.messageId ?? randomUUID()).replace(/-/g, ''), 'hex');
  if (id.length !== 16) throw new FrameError(`message id ${m.messageId} is not a UUID`);
  id.copy(out, OFF.id, 8, 16);
  id.copy(out, OFF.id + 8, 0, 8);
  sha256(payload).copy(out, OFF.digest);
  out.writeUInt32BE(m.payloadType ?? 0, OFF.payloadType);
  out.writeUInt32BE(payload.length, OFF.payloadLength);
  payload.copy(out, OFF.payload);
  return out;
}

const uuidOf = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** A message from its bytes; a short frame, a payload longer than the frame or a digest that does not match is a FrameError. */
export function decodeMessage(bytes: Uint8Array): AgentMessage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < OFF.payload) throw new FrameError(`a frame of ${b.length} bytes is shorter than the ${OFF.payload}-byte header`);
  const hl = b.readUInt32BE(OFF.hl);
  if (hl < OFF.payloadLength || hl + 4 > b.length) throw new FrameError(`header length ${hl} does not fit a frame of ${b.length} bytes`);
  const length = b.readUInt32BE(hl);
  const payload = b.subarray(hl + 4);
  if (payload.length !== length) throw new FrameError(`payload length ${length} but ${payload.length} bytes follow`);
  if (!sha256(payload).equals(b.subarray(OFF.digest, OFF.digest + 32))) throw new FrameError('the payload digest does not match');
  const id = Buffer.concat([b.subarray(OFF.id + 8, OFF.id + 16), b.subarray(OFF.id, OFF.id + 8)]).toString('hex');
  return {
    messageType: b.toString('utf8', OFF.type, OFF.type + TYPE_LENGTH).replace(/[\s\0]+$/, ''),
    schemaVersion: b.readUInt32BE(OFF.version),
    createdDate: Number(b.readBigUInt64BE(OFF.created)),
    sequenceNumber: Number(b.readBigInt64BE(OFF.seq)),
    flags: Number(b.readBigUInt64BE(OFF.flags)),
    messageId: uuidOf(id),
    payloadType: b.readUInt32BE(OFF.payloadType),
    payload: Buffer.from(payload),
  };
}

/** What an acknowledgement's payload says (JSON, the plugin's AcknowledgeContent). */
export interface AckContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

/** The acknowledgement of a received stream message: sequence 0, flags 3, its content as JSON. */
export function ackOf(m: AgentMessage): Buffer {
  const content: AckContent = { AcknowledgedMessageType: m.messageType, AcknowledgedMessageId: m.messageId, AcknowledgedMessageSequenceNumber: m.sequenceNumber, IsSequentialMessage: true };
  return encodeMessage({ messageType: MESSAGE_TYPE.ack, sequenceNumber: 0, flags: 3, payload: Buffer.from(JSON.stringify(content)) });
}

/** The first (text) message on a data channel: the session's token, which opens it. */
export function openDataChannel(tokenValue: string, clientId: string, clientVersion: string): string {
  return JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: randomUUID(), TokenValue: tokenValue, ClientId: clientId, ClientVersion: clientVersion });
}

interface RequestedAction {
  ActionType: string;
  ActionParameters?: unknown;
}

/**
 * The client's answer to the agent's handshake request: a session type is taken; KMS encryption
 * (only when the session preferences ask for it) is not supported by this client, and said so.
 */
export function handshakeResponse(request: Buffer, clientVersion: string): { payload: Buffer; sessionType?: string; errors: string[] } {
  const req = JSON.parse(request.toString('utf8')) as { RequestedClientActions?: RequestedAction[] };
  let sessionType: string | undefined;
  const errors: string[] = [];
  const processed = (req.RequestedClientActions ?? []).map((a) => {
    if (a.ActionType === 'SessionType') {
      sessionType = (a.ActionParameters as { SessionType?: string } | undefined)?.SessionType;
      return { ActionType: a.ActionType, ActionStatus: 1 };
    }
    const error = `Unsupported action ${a.ActionType}`;
    errors.push(error);
    return { ActionType: a.ActionType, ActionStatus: 3, Error: error };
  });
  const payload = Buffer.from(JSON.stringify({ ClientVersion: clientVersion, ProcessedClientActions: processed, Errors: errors.length ? errors : null }));
  return { payload, ...(sessionType ? { sessionType } : {}), errors };
}

/** A terminal size message's payload. */
export const sizePayload = (cols: number, rows: number): Buffer => Buffer.from(JSON.stringify({ cols, rows }));

/** A flag message's payload (FLAG). */
export function flagPayload(flag: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(flag);
  return b;
}
