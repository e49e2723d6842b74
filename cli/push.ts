// The CLI's push connection (shared/push): where the API cannot hold a watch request (on Lambda
// every held second is billed), the CLI is told on a WebSocket that a path changed instead of
// asking again every poll interval. One per command (its ApiClient's), opened on first need,
// opened again when the platform closed it (API Gateway ends an idle one after 10 minutes and any
// after 2 hours). Whatever goes wrong with it, the caller polls as before: no command fails
// because of its push connection. The WebSocket library is loaded only when one is opened.
import { setTimeout as sleep } from 'node:timers/promises';
import type WebSocket from 'ws';
import type { ApiClient, ApiObject } from './client.ts';

/** How long a wait on a notice lasts before the caller reads anyway (a notice lost on the way costs this much). */
export const PUSH_FALLBACK_MS = 25_000;
/** How long the opening handshake and the answer to a watch may take. */
const ANSWER_MS = 10_000;
/** At most one opening per this long: a push endpoint that refuses or keeps closing is polled around meanwhile. */
const REOPEN_MS = 30_000;

interface Message {
  type?: string;
  path?: string;
  status?: number;
  message?: string;
  offset?: number;
  text?: string;
  objects?: unknown;
  gone?: unknown;
}

/** A build log's text a notice carried, appended at `offset` (bytes). */
export interface Piece {
  path: string;
  offset: number;
  text: string;
}

/** A list's objects a notice carried: those written, as the list's watch shows them, and the names of those removed. */
export interface Carried {
  path: string;
  objects: ApiObject[];
  gone: string[];
}

/** What a wait was told: the paths changed with nothing carried (read them), the log text and the objects carried, in the order they came. */
export interface Told {
  paths: string[];
  pieces: Piece[];
  carried: Carried[];
}

/** The objects a notice carries, if it carries them in the shape the platform sends. */
function carriedOf(m: Message & { path: string }): Carried | undefined {
  const { objects, gone } = m;
  if (!Array.isArray(objects) || !Array.isArray(gone) || !gone.every((n) => typeof n === 'string')) return undefined;
  const named = (o: unknown): o is ApiObject => typeof (o as ApiObject | null)?.metadata?.name === 'string' && typeof (o as ApiObject).metadata.resourceVersion === 'string';
  return objects.every(named) ? { path: m.path, objects, gone } : undefined;
}

interface Asked {
  done: Promise<void>;
  settle(err?: Error): void;
}

/**
 * The WebSocket URL of a push endpoint, from an `X-Berth-Push` value: a path on the API (resolved
 * against the server URL, http→ws, https→wss) or an absolute `wss://` URL. The token goes with
 * the upgrade, so a `ws://` URL is taken only from an API itself spoken to in clear text.
 * @example pushUrl('https://api.example.com', '/api/v1/push') // 'wss://api.example.com/api/v1/push'
 */
export function pushUrl(server: string, where: string): string | undefined {
  let url: URL;
  try {
    url = new URL(where.startsWith('/') ? `${server.replace(/\/$/, '')}${where}` : where);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol === 'wss:' || (url.protocol === 'ws:' && server.startsWith('http:'))) return url.href;
  return undefined;
}

export class PushConnection {
  private socket?: WebSocket;
  private opening?: Promise<WebSocket>;
  private lastOpening = -Infinity;
  private closed = false;
  /** Paths watched on the current socket. */
  private readonly watched = new Set<string>();
  /** Watches sent and not yet answered, by path. */
  private readonly asked = new Map<string, Asked>();
  /** Paths the platform will not let this connection watch: asked no more. */
  private readonly refused = new Map<string, Error>();
  /** Paths told changed and not yet taken by `next`. */
  private readonly arrived = new Set<string>();
  /** Log text notices carried, not yet taken. */
  private readonly pieces: Piece[] = [];
  /** Objects notices carried, not yet taken. */
  private readonly carried: Carried[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly reopenMs = REOPEN_MS,
  ) {}

  /**
   * Watches `path`, opening the connection first if need be. Resolves true once the platform
   * says it is watching (a new subscription: what changed before it was made is not told, so
   * read once more), false at once when the path was watched already; rejects when the path is
   * refused or the connection cannot be had.
   */
  async watch(path: string): Promise<boolean> {
    const refused = this.refused.get(path);
    if (refused) throw refused;
    const ws = await this.open();
    if (this.watched.has(path)) return false;
    if (this.socket !== ws) throw new Error('the push connection closed');
    let asked = this.asked.get(path);
    if (!asked) {
      asked = this.ask(path);
      ws.send(JSON.stringify({ watch: path }));
    }
    await asked.done;
    return true;
  }

  /**
   * Resolves true when a `changed` notice for one of `paths` arrives, or has arrived since the
   * last call (a notice is never lost while the caller reads); false after `timeoutMs`, or at
   * once when the connection is down (its watches are gone: read, then watch again).
   */
  async next(paths: string[], timeoutMs: number): Promise<boolean> {
    return (await this.told(paths, timeoutMs)) !== undefined;
  }

  /** As `next`, with what was told: the paths changed, and the log text and objects notices carried. */
  told(paths: string[], timeoutMs: number): Promise<Told | undefined> {
    const take = (): Told | undefined => {
      const changed = paths.filter((p) => this.arrived.has(p));
      const pieces = takeOf(this.pieces, paths);
      const carried = takeOf(this.carried, paths);
      if (!changed.length && !pieces.length && !carried.length) return undefined;
      for (const p of paths) this.arrived.delete(p);
      return { paths: changed, pieces, carried };
    };
    const now = take();
    if (now) return Promise.resolve(now);
    if (!this.socket) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const finish = (told: Told | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(told);
      };
      const check = () => {
        const got = take();
        if (got) finish(got);
        else if (!this.socket) finish(undefined);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Ends the connection at once (no closing handshake to wait on); it is not opened again. */
  close(): void {
    this.closed = true;
    this.lost(new Error('the push connection was closed'), true);
  }

  private ask(path: string): Asked {
    let settle!: (err?: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`no answer to watching ${path}`)), ANSWER_MS);
      settle = (err) => {
        clearTimeout(timer);
        this.asked.delete(path);
        if (err) reject(err);
        else resolve();
      };
    });
    const asked = { done, settle };
    this.asked.set(path, asked);
    return asked;
  }

  private open(): Promise<WebSocket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.closed) return Promise.reject(new Error('the push connection was closed'));
    if (!this.opening) {
      if (Date.now() - this.lastOpening < this.reopenMs) return Promise.reject(new Error('the push connection was lost a moment ago'));
      this.lastOpening = Date.now();
      this.opening = this.connect().finally(() => (this.opening = undefined));
    }
    return this.opening;
  }

  private async connect(): Promise<WebSocket> {
    const { default: WebSocketClass } = await import('ws');
    const ws = new WebSocketClass(this.url, { headers: this.headers, perMessageDeflate: false, handshakeTimeout: ANSWER_MS });
    // The command's own waits keep the process alive; the socket never does.
    ws.once('upgrade', (res) => res.socket.unref());
    ws.on('message', (data: Buffer) => this.receive(data.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // After the opening, a failure shows as the close that follows it.
    ws.on('error', () => {});
    ws.once('close', () => {
      if (this.socket === ws) this.lost(new Error('the push connection closed'));
    });
    if (this.closed) {
      ws.terminate();
      throw new Error('the push connection was closed');
    }
    this.socket = ws;
    return ws;
  }

  private receive(raw: string): void {
    let m: Message;
    try {
      m = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    if (m.type === 'changed' && m.path) {
      const carried = carriedOf({ ...m, path: m.path });
      if (typeof m.text === 'string' && typeof m.offset === 'number') this.pieces.push({ path: m.path, offset: m.offset, text: m.text });
      else if (carried) this.carried.push(carried);
      else this.arrived.add(m.path);
      for (const w of [...this.waiters]) w();
    } else if (m.type === 'watching' && m.path) {
      this.watched.add(m.path);
      this.asked.get(m.path)?.settle();
    } else if (m.type === 'error') {
      const err = new Error(`the push connection refused ${m.path ?? 'a request'}: ${m.status} ${m.message ?? ''}`);
      // 401: this connection is no longer known (expired): the next watch opens another.
      if (m.status === 401) this.lost(err, true);
      else if (m.path) {
        this.refused.set(m.path, err);
        this.asked.get(m.path)?.settle(err);
      } else for (const a of [...this.asked.values()]) a.settle(err);
    }
  }

  /** The socket is gone (closed by either side, or to be ended: `end`): its watches with it; waiting callers read again. */
  private lost(err: Error, end = false): void {
    const ws = this.socket;
    this.socket = undefined;
    this.watched.clear();
    if (end) ws?.terminate();
    for (const a of [...this.asked.values()]) a.settle(err);
    for (const w of [...this.waiters]) w();
  }
}

/** Takes out of `queue` what was told of `paths`, in order. */
function takeOf<T extends { path: string }>(queue: T[], paths: string[]): T[] {
  const taken = queue.filter((q) => paths.includes(q.path));
  queue.splice(0, queue.length, ...queue.filter((q) => !paths.includes(q.path)));
  return taken;
}

/**
 * Waits before the next read of `paths` after an answer with nothing new from a server that
 * does not hold requests. With a push connection offered (`where`, the answer's X-Berth-Push):
 * resolves at once after a new subscription (a change between the answer and it would be missed
 * otherwise), else on a notice or after PUSH_FALLBACK_MS. Without one, or if it fails: after `pollMs`.
 * Resolves with what a notice told, or undefined when the caller should just read.
 */
export async function waitForChange(client: ApiClient, where: string | null, paths: string[], pollMs: number): Promise<Told | undefined> {
  const push = where ? await client.push(where) : undefined;
  if (push) {
    try {
      const fresh = await Promise.all(paths.map((p) => push.watch(p)));
      if (!fresh.some(Boolean)) return await push.told(paths, PUSH_FALLBACK_MS);
      return undefined;
    } catch {
      // No push connection to be had: poll.
    }
  }
  await sleep(pollMs);
  return undefined;
}
