// Requests to a Docker registry's HTTP API with Docker's token protocol: a 401 that names a
// Bearer realm is answered by asking the realm for a token for the scope it names (with Basic
// credentials when given, anonymously otherwise) and trying once more with it. Requests go
// through `fetch` unless another is given (an import's reads from its source: pinned-fetch.ts).

/** What `fetch` is to RegistryHttp: one request, redirects followed. */
export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Parses `Bearer realm="…",service="…",scope="…"`; undefined for other schemes. */
export function parseBearerChallenge(header: string | null): { realm: string; service?: string; scope?: string } | undefined {
  const m = /^Bearer\s+(.*)$/i.exec(header ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[1]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return params.realm ? { realm: params.realm, service: params.service, scope: params.scope } : undefined;
}

export class RegistryHttp {
  private readonly tokens = new Map<string, { token: string; until: number }>();
  private readonly basicHosts = new Set<string>();

  constructor(
    private readonly credentials?: BasicCredentials,
    private readonly send: Fetch = (url, init) => fetch(url, init),
  ) {}

  /** `fetch`, with a token fetched and cached (per scope) when the registry asks for one. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const host = new URL(url).host;
    // A registry that asked for Basic credentials once (ECR) gets them with every request: a
    // streamed upload cannot be sent twice.
    if (this.credentials && this.basicHosts.has(host)) return this.send(url, withAuthorization(init, `Basic ${this.basic()}`));
    const challenge = this.tokens.get(scopeKey(url));
    const first = await this.send(url, withBearer(init, challenge && challenge.until > Date.now() ? challenge.token : undefined));
    if (first.status !== 401) return first;
    const header = first.headers.get('www-authenticate');
    if (this.credentials && /^Basic\b/i.test(header ?? '')) {
      await first.body?.cancel();
      this.basicHosts.add(host);
      return this.send(url, withAuthorization(init, `Basic ${this.basic()}`));
    }
    const bearer = parseBearerChallenge(header);
    if (!bearer) return first;
    await first.body?.cancel();
    const token = await this.token(bearer);
    if (!token) return this.send(url, init);
    this.tokens.set(scopeKey(url), { token, until: Date.now() + 60_000 });
    return this.send(url, withBearer(init, token));
  }

  private basic(): string {
    return Buffer.from(`${this.credentials!.username}:${this.credentials!.password}`).toString('base64');
  }

  private async token(c: { realm: string; service?: string; scope?: string }): Promise<string | undefined> {
    const u = new URL(c.realm);
    if (c.service) u.searchParams.set('service', c.service);
    for (const s of (c.scope ?? '').split(' ').filter(Boolean)) u.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.credentials) headers.Authorization = `Basic ${this.basic()}`;
    const res = await this.send(u, { headers });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    return body.token ?? body.access_token;
  }
}

/** Tokens are per repository: the `/v2/<name>/` part of the URL. */
function scopeKey(url: string): string {
  const path = new URL(url).pathname;
  return `${new URL(url).host}${path.replace(/\/(manifests|blobs|tags)\/.*$/, '')}`;
}

function withBearer(init: RequestInit, token: string | undefined): RequestInit {
  return token ? withAuthorization(init, `Bearer ${token}`) : init;
}

function withAuthorization(init: RequestInit, authorization: string): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), Authorization: authorization } };
}
