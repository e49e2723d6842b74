// A browser-less client of the console for tests: form posts from the console's origin (or
// another), the session cookie kept between requests, the CSRF token read from the last page.
import type { Hono } from 'hono';

export const CONSOLE_ORIGIN = 'http://localhost';

export interface ConsoleAnswer {
  status: number;
  html: string;
  location?: string;
  setCookie?: string;
}

export class ConsoleClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(private readonly app: Hono<any>) {}

  async request(method: string, path: string, init: { form?: Record<string, string> | FormData; headers?: Record<string, string> } = {}): Promise<ConsoleAnswer> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookie) headers.Cookie = this.cookie;
    let body: string | FormData | undefined;
    if (init.form instanceof FormData) body = init.form;
    else if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const res = await this.app.request(`${CONSOLE_ORIGIN}${path}`, { method, headers, body });
    const html = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (csrf) this.csrf = csrf;
    return { status: res.status, html, location: res.headers.get('Location') ?? undefined, setCookie: res.headers.get('Set-Cookie') ?? undefined };
  }

  get(path: string): Promise<ConsoleAnswer> {
    return this.request('GET', path);
  }

  /** A form post as the console's own pages send it: same origin, this session's CSRF token. */
  post(path: string, fields: Record<string, string> = {}): Promise<ConsoleAnswer> {
    return this.request('POST', path, { form: { _csrf: this.csrf ?? '', ...fields }, headers: { Origin: CONSOLE_ORIGIN } });
  }

  async signIn(username: string, password: string): Promise<ConsoleAnswer> {
    const r = await this.request('POST', '/console/signin', { form: { username, password }, headers: { Origin: CONSOLE_ORIGIN } });
    const session = /berth_console=([^;]*)/.exec(r.setCookie ?? '')?.[1];
    if (session) this.cookie = `berth_console=${session}`;
    if (r.status === 303) await this.get('/console/projects');
    return r;
  }
}
