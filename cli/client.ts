// The HTTP client of the Berth API, over node:http (see http.ts). Every failure becomes a CliError:
// the API's `{code, message, suggestion}` body maps to message and hint, and a server that
// cannot be reached gets a hint about starting the platform.
import type { Readable } from 'node:stream';
import { CliError, loginHint, oneLine } from './errors.ts';
import { httpRequest, type HttpAnswer } from './http.ts';
import type { PushConnection } from './push.ts';

export interface ListObject {
  kind: string;
  items: ApiObject[];
  metadata: { continue?: string };
}

/** An object as the API returns it; fields beyond these are kept as they came. */
export interface ApiObject {
  kind: string;
  metadata: {
    name: string;
    project?: string;
    creationTimestamp?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: any;
  status?: any;
}

export interface ListOptions {
  labelSelector?: string;
  /** Items per request; the client follows `continue` until the last page. */
  chunkSize?: number;
}

const TIMEOUT_MS = 30_000;

export class ApiClient {
  private pushed?: Promise<PushConnection | undefined>;

  constructor(
    readonly server: string,
    private readonly token?: string,
    /** Told the text of each `Warning: 299` header the server sends (a trial in its last day). */
    private readonly onWarning?: (text: string) => void,
  ) {}

  /** The headers that carry this client's credentials (for a WebSocket's upgrade request). */
  authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  /**
   * This client's push connection (cli/push.ts), made on first need from the `X-Berth-Push` value
   * `where`; undefined when that names no endpoint this client will send its token to.
   */
  push(where: string): Promise<PushConnection | undefined> {
    this.pushed ??= import('./push.ts').then(({ PushConnection, pushUrl }) => {
      const url = pushUrl(this.server, where);
      return url ? new PushConnection(url, this.authHeaders()) : undefined;
    });
    return this.pushed;
  }

  /** Ends what the client holds open beyond a request (its push connection). */
  async close(): Promise<void> {
    (await this.pushed)?.close();
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Every item of a collection, one list object, however many pages the server answers with. */
  async list(path: string, opts: ListOptions = {}): Promise<ListObject> {
    const items: ApiObject[] = [];
    let kind = 'List';
    let next: string | undefined;
    do {
      const query = new URLSearchParams();
      if (opts.chunkSize) query.set('limit', String(opts.chunkSize));
      if (opts.labelSelector) query.set('labelSelector', opts.labelSelector);
      if (next) query.set('continue', next);
      const qs = query.size ? `?${query}` : '';
      const page = await this.get<ListObject>(`${path}${qs}`);
      kind = page.kind;
      items.push(...page.items);
      next = page.metadata?.continue;
    } while (next);
    return { kind, items, metadata: {} };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' });
    return this.json<T>(res, method, path);
  }

  /**
   * Sends a stream (a source archive) as the request body and reads the JSON answer. There is no
   * overall timeout: a large upload over a slow link takes as long as it takes.
   */
  async upload<T>(path: string, body: Readable, contentType: string): Promise<T> {
    const res = await this.open('POST', path, { body, contentType, timeoutMs: 0 });
    return this.json<T>(res, 'POST', path);
  }

  /**
   * The answer to one request once the server said yes, body unread (a log to stream, say).
   * `timeoutMs: 0` waits as long as the server keeps the connection open.
   */
  async open(method: string, path: string, opts: { body?: string | Readable; contentType?: string; accept?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
    const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    let res: HttpAnswer;
    try {
      res = await httpRequest(`${this.server}${path}`, { method, headers, body: opts.body, timeoutMs });
    } catch (err) {
      throw connectionError(err, this.server);
    }
    this.passOnWarning(res.headers.get('warning'));
    if (!res.ok) throw apiError(res.status, res.statusText, await res.text(), this.server);
    return res;
  }

  private passOnWarning(header: string | null): void {
    const text = /^299 \S+ "(.*)"$/.exec(header ?? '')?.[1];
    if (text) this.onWarning?.(text);
  }

  private async json<T>(res: HttpAnswer, method: string, path: string): Promise<T> {
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the server at ${this.server} answered ${method} ${path} with something that is not JSON`, 'check that the URL points at a Berth API');
    }
  }
}

/** Maps an error response to a CliError; pure, so it is tested on its own. */
export function apiError(status: number, statusText: string, text: string, server: string): CliError {
  let body: { code?: unknown; message?: unknown; suggestion?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not the API's JSON: fall back on the status line
  }
  const code = typeof body.code === 'string' ? body.code : undefined;
  const message = typeof body.message === 'string' ? oneLine(body.message) : `the server answered ${status} ${statusText}`.trim();
  let hint = typeof body.suggestion === 'string' ? oneLine(body.suggestion) : undefined;
  if (status === 401) hint = loginHint(server);
  else if (!hint && !code) hint = 'check that the server URL points at a Berth API';
  else if (!hint && status >= 500) hint = 'the request may be retried; if it keeps failing, look at the platform logs';
  return new CliError(message, hint, { status, code });
}

export function connectionError(err: unknown, server: string): CliError {
  // node:http fails with the socket's own error (code ECONNREFUSED…); fetch wrapped it in `cause`.
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return new CliError(`the server at ${server} did not answer within ${TIMEOUT_MS / 1000} s`, 'is the platform running and reachable?');
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return new CliError(`cannot connect to ${server}: connection refused`, 'is the platform running? start it with `npm run up`');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new CliError(`cannot resolve the host of ${server}`, 'check the server URL, then `berth login URL …` again');
  return new CliError(`cannot reach ${server}: ${oneLine(e.cause?.message ?? e.message)}`, 'check the server URL and that the platform is running (`npm run up`)');
}
