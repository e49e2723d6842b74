// The Session Manager data channel as the CLI speaks it on AWS. The frame codec against frames
// built byte by byte from the layout AWS's session-manager-plugin documents (src/message/
// clientmessage.go: header length, 32-byte space-padded type, schema version, created date,
// sequence number, flags, message id with its low half first, SHA-256 payload digest, payload
// type, payload length, payload); and the channel client against a loopback WebSocket server
// playing the agent's side: the token first, the handshake, acknowledgements, messages delivered
// in sequence order, unacknowledged input sent again, exit code and channel_closed.
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitMarkerFilter } from '../../cli/exit-marker.ts';
import { SsmDataChannel } from '../../shared/streams/ssm-channel.ts';
import { FrameError, MESSAGE_TYPE, PAYLOAD, ackOf, decodeMessage, encodeMessage, handshakeResponse } from '../../shared/streams/ssm-frames.ts';

/** A frame laid out by hand, field by field, as the plugin's clientmessage.go documents it. */
function documentedFrame(f: { type: string; seq: number; flags: number; id: string; payloadType: number; payload: Buffer; created?: number }): Buffer {
  const b = Buffer.alloc(120 + f.payload.length);
  b.writeUInt32BE(116, 0);
  Buffer.from(f.type.padEnd(32, ' ')).copy(b, 4);
  b.writeUInt32BE(1, 36);
  b.writeBigUInt64BE(BigInt(f.created ?? 1_700_000_000_000), 40);
  b.writeBigInt64BE(BigInt(f.seq), 48);
  b.writeBigUInt64BE(BigInt(f.flags), 56);
  const id = Buffer.from(f.id.replace(/-/g, ''), 'hex');
  id.copy(b, 64, 8, 16); // least significant half first
  id.copy(b, 72, 0, 8);
  createHash('sha256').update(f.payload).digest().copy(b, 80);
  b.writeUInt32BE(f.payloadType, 112);
  b.writeUInt32BE(f.payload.length, 116);
  f.payload.copy(b, 120);
  return b;
}

const ID = '6f2c1d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';

describe('the AgentMessage codec', () => {
  it('encodes exactly the documented layout', () => {
    const payload = Buffer.from('ls -la\n');
    const expected = documentedFrame({ type: 'input_stream_data', seq: 7, flags: 0, id: ID, payloadType: 1, payload });
    expect(encodeMessage({ messageType: 'input_stream_data', sequenceNumber: 7, flags: 0, messageId: ID, payloadType: 1, payload, createdDate: 1_700_000_000_000 }).equals(expected)).toBe(true);
  });

  it('decodes a documented frame, and round-trips what it encodes', () => {
    const payload = Buffer.from([0, 1, 2, 250, 255]);
    const m = decodeMessage(documentedFrame({ type: 'output_stream_data', seq: 42, flags: 2, id: ID, payloadType: 11, payload }));
    expect(m).toEqual({ messageType: 'output_stream_data', schemaVersion: 1, createdDate: 1_700_000_000_000, sequenceNumber: 42, flags: 2, messageId: ID, payloadType: 11, payload });
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('refuses a frame whose digest does not match its payload, a short frame and a wrong payload length', () => {
    const frame = documentedFrame({ type: 'output_stream_data', seq: 0, flags: 0, id: ID, payloadType: 1, payload: Buffer.from('hello') });
    const tampered = Buffer.from(frame);
    tampered[120] = 'j'.charCodeAt(0);
    expect(() => decodeMessage(tampered)).toThrow(/digest/);
    expect(() => decodeMessage(frame.subarray(0, 100))).toThrow(FrameError);
    const longer = Buffer.from(frame);
    longer.writeUInt32BE(6, 116);
    expect(() => decodeMessage(longer)).toThrow(/payload length 6/);
  });

  it('acknowledges a stream message as the plugin does: type acknowledge, sequence 0, flags 3, the message named in JSON', () => {
    const received = decodeMessage(documentedFrame({ type: 'output_stream_data', seq: 9, flags: 0, id: ID, payloadType: 1, payload: Buffer.from('x') }));
    const ack = decodeMessage(ackOf(received));
    expect(ack).toMatchObject({ messageType: 'acknowledge', sequenceNumber: 0, flags: 3 });
    expect(JSON.parse(ack.payload.toString())).toEqual({ AcknowledgedMessageType: 'output_stream_data', AcknowledgedMessageId: ID, AcknowledgedMessageSequenceNumber: 9, IsSequentialMessage: true });
  });

  it('answers a handshake: the session type taken, KMS encryption refused as unsupported', () => {
    const req = Buffer.from(JSON.stringify({ AgentVersion: '3.3.0.0', RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'Port', Properties: { portNumber: '5432' } } }, { ActionType: 'KMSEncryption', ActionParameters: { KMSKeyId: 'k' } }] }));
    const answer = handshakeResponse(req, '1.2.0.0');
    expect(answer.sessionType).toBe('Port');
    expect(JSON.parse(answer.payload.toString())).toEqual({
      ClientVersion: '1.2.0.0',
      ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: 1 }, { ActionType: 'KMSEncryption', ActionStatus: 3, Error: 'Unsupported action KMSEncryption' }],
      Errors: ['Unsupported action KMSEncryption'],
    });
  });
});

// ---- the channel client against a loopback agent ----

interface Agent {
  url: string;
  opened: Promise<{ ws: WebSocket; open: Record<string, string> }>;
  received: ReturnType<typeof decodeMessage>[];
  close(): Promise<void>;
}

async function agent(): Promise<Agent> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received: Agent['received'] = [];
  const opened = new Promise<{ ws: WebSocket; open: Record<string, string> }>((resolve) => {
    wss.once('connection', (ws) => {
      ws.once('message', (data, isBinary) => {
        expect(isBinary).toBe(false);
        resolve({ ws, open: JSON.parse(data.toString()) });
        ws.on('message', (d: Buffer) => received.push(decodeMessage(d)));
      });
    });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/data-channel/s-1`, opened, received, close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }) };
}

const out = (seq: number, payloadType: number, payload: string | Buffer) =>
  encodeMessage({ messageType: MESSAGE_TYPE.output, sequenceNumber: seq, messageId: randomUUID(), payloadType, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload) });
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

let current: Agent | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe('SsmDataChannel', () => {
  it('opens with the token, answers the handshake, acknowledges each message and delivers them in sequence order', async () => {
    const a = (current = await agent());
    const ch = new SsmDataChannel(new WebSocket(a.url), 'the-token', 'client-1');
    const output: string[] = [];
    const events: string[] = [];
    ch.on('output', (d) => output.push(d.toString()));
    ch.on('ready', (type) => events.push(`ready ${type}`));
    ch.on('exitCode', (c) => events.push(`exit ${c}`));
    const closed = new Promise<string>((r) => ch.once('closed', r));
    const { ws, open } = await a.opened;
    expect(open).toMatchObject({ MessageSchemaVersion: '1.0', TokenValue: 'the-token', ClientId: 'client-1', ClientVersion: expect.any(String) });
    expect(open.RequestId).toMatch(/^[0-9a-f-]{36}$/);

    ws.send(out(0, PAYLOAD.handshakeRequest, JSON.stringify({ AgentVersion: '3.3.0.0', RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'InteractiveCommands' } }] })));
    await until(() => a.received.some((m) => m.payloadType === PAYLOAD.handshakeResponse));
    ws.send(out(1, PAYLOAD.handshakeComplete, JSON.stringify({ HandshakeTimeToComplete: 1000, CustomerMessage: '' })));
    // Sequence 3 comes before 2: held until 2 is there.
    ws.send(out(3, PAYLOAD.output, 'world'));
    ws.send(out(2, PAYLOAD.output, 'hello '));
    ws.send(out(2, PAYLOAD.output, 'hello ')); // a copy the agent sent again
    ws.send(out(4, PAYLOAD.exitCode, '3'));
    await until(() => events.includes('exit 3'));
    expect(output.join('')).toBe('hello world');
    expect(events).toEqual(['ready InteractiveCommands', 'exit 3']);

    await until(() => a.received.filter((m) => m.messageType === MESSAGE_TYPE.ack).length === 6);
    const acks = a.received.filter((m) => m.messageType === MESSAGE_TYPE.ack).map((m) => JSON.parse(m.payload.toString()).AcknowledgedMessageSequenceNumber as number);
    expect(acks.sort()).toEqual([0, 1, 2, 2, 3, 4]);
    const response = a.received.find((m) => m.payloadType === PAYLOAD.handshakeResponse)!;
    expect(response).toMatchObject({ messageType: 'input_stream_data', sequenceNumber: 0, flags: 1 });
    expect(JSON.parse(response.payload.toString()).ProcessedClientActions).toEqual([{ ActionType: 'SessionType', ActionStatus: 1 }]);

    ws.send(encodeMessage({ messageType: MESSAGE_TYPE.closed, payload: Buffer.from(JSON.stringify({ MessageType: 'channel_closed', SessionId: 's-1', Output: 'Exiting session with sessionId: s-1.' })) }));
    expect(await closed).toBe('Exiting session with sessionId: s-1.');
  });

  it('numbers its input from the handshake response on, and sends again what the agent has not acknowledged', async () => {
    const a = (current = await agent());
    const ch = new SsmDataChannel(new WebSocket(a.url), 'tok');
    const { ws } = await a.opened;
    ch.write(Buffer.from('a'));
    ch.resize(120, 40);
    await until(() => a.received.length === 2);
    expect(a.received.map((m) => [m.sequenceNumber, m.payloadType, m.payload.toString()])).toEqual([
      [0, PAYLOAD.output, 'a'],
      [1, PAYLOAD.size, '{"cols":120,"rows":40}'],
    ]);
    // Only the first is acknowledged: the second comes again.
    ws.send(ackOf(a.received[0]!));
    await until(() => a.received.length >= 3);
    expect(a.received[2]).toMatchObject({ sequenceNumber: 1, payloadType: PAYLOAD.size });
    ch.close();
  });

  it('drops a frame with a bad digest unacknowledged, and takes the copy the agent sends again', async () => {
    const a = (current = await agent());
    const ch = new SsmDataChannel(new WebSocket(a.url), 'tok');
    const output: string[] = [];
    ch.on('output', (d) => output.push(d.toString()));
    const { ws } = await a.opened;
    const good = out(0, PAYLOAD.output, 'intact');
    const bad = Buffer.from(good);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    ws.send(bad);
    ws.send(good);
    await until(() => output.length === 1);
    expect(output).toEqual(['intact']);
    expect(a.received.filter((m) => m.messageType === MESSAGE_TYPE.ack)).toHaveLength(1);
    ch.close();
  });
});

describe('ExitMarkerFilter', () => {
  const MARK = '@@berth-exit-0123abcd:';
  it('passes the output on without the marker line, split anywhere, and reads the status', () => {
    const whole = Buffer.from(`line one\r\nline two\r\n${MARK}17\r\n`);
    for (let cut = 1; cut < whole.length; cut++) {
      const f = new ExitMarkerFilter(MARK);
      const shown = Buffer.concat([f.push(whole.subarray(0, cut)), f.push(whole.subarray(cut)), f.flush()]).toString();
      expect(shown).toBe('line one\r\nline two');
      expect(f.code).toBe(17);
    }
  });

  it('holds back only what may start the marker, and gives it back at the end', () => {
    const f = new ExitMarkerFilter(MARK);
    expect(f.push(Buffer.from('$ ')).toString()).toBe('$ ');
    expect(f.push(Buffer.from('ok\n@@ber')).toString()).toBe('ok');
    expect(f.flush().toString()).toBe('\n@@ber');
    expect(f.code).toBeUndefined();
  });
});
