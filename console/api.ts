// The console's only way to the platform: the public HTTP API, called in-process on the same
// Hono app with the signed-in user's bearer token, so every rule the API enforces (roles,
// quotas, admission, rate limits) applies to the console unchanged.
import type { Hono } from 'hono';
import { sessionKey } from './cache.ts';

export interface ApiAnswer<T = any> {
  status: number;
  ok: boolean;
  body: T;
  headers: Headers;
}

/** An API error answer turned into an exception, for pages that cannot go on without the data. */
export class ApiFailure extends Error {
  constructor(readonly answer: ApiAnswer) {
    super(answer.body?.message ?? `HTTP ${answer.status}`);
  }
}

export class ConsoleApi {
  /** This session's key in the console's caches ('' without a session). */
  readonly sessionKey: string;

  constructor(
    private readonly app: Hono<any>,
    private readonly token: string | undefined,
    /** The runtime's bindings of the console request (the client's address for throttling). */
    private readonly env: unknown,
  ) {
    this.sessionKey = token ? sessionKey(token) : '';
  }

  /** The raw Response (for streams and uploads). */
  fetch(method: string, path: string, body?: RequestInit["body"], contentType?: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (contentType) headers['Content-Type'] = contentType;
    if (body instanceof Uint8Array) headers['Content-Length'] = String(body.byteLength);
    return Promise.resolve(this.app.fetch(new Request(`http://console.invalid${path}`, { method, headers, body, signal }), this.env));
  }

  async call<T = any>(method: string, path: string, json?: unknown, signal?: AbortSignal): Promise<ApiAnswer<T>> {
    const payload = json === undefined ? undefined : JSON.stringify(json);
    const res = await this.fetch(method, path, payload, payload === undefined ? undefined : 'application/json', signal);
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // plain text (logs)
    }
    return { status: res.status, ok: res.ok, body, headers: res.headers };
  }

  /** GET that throws ApiFailure on an error answer, with the answer's headers; `signal` ends it early (a long poll whose browser went away). */
  async read<T = any>(path: string, signal?: AbortSignal): Promise<{ body: T; headers: Headers }> {
    const r = await this.call<T>('GET', path, undefined, signal);
    if (!r.ok) throw new ApiFailure(r);
    return r;
  }

  /** GET that throws ApiFailure on an error answer: its body. */
  async get<T = any>(path: string, signal?: AbortSignal): Promise<T> {
    return (await this.read<T>(path, signal)).body;
  }

  /** The items of a list, or [] when the list is refused (a `view` user and secrets, say). */
  async items<T = any>(path: string): Promise<T[]> {
    const r = await this.call<{ items: T[] }>('GET', path);
    return r.ok ? r.body.items : [];
  }
}

export const projectPath = (project: string, rest = ''): string => `/api/v1/projects/${encodeURIComponent(project)}${rest}`;
