// The console's push tickets as a stranger would try them, through the console's own routes and
// the real API's WebSocket over DynamoDB Local: a tenant who signed up a minute ago, signed into
// the console, takes a ticket and watches the victim's overview; another site makes the victim's
// browser ask for a ticket; a ticket seen once (a URL in a log) is opened again, or used as a
// token. Each is refused, and the stranger is told nothing of the victim's changes.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsoleClient, CONSOLE_ORIGIN } from '../support/console.ts';
import { startPushApi, type PushApi } from '../push/support.ts';

let p: PushApi;
let victim: string;
let victimConsole: ConsoleClient;
let malloryConsole: ConsoleClient;
const OVERVIEW = '/api/v1/projects/bank/overview';

async function signedIn(name: string): Promise<ConsoleClient> {
  const c = new ConsoleClient(p.app);
  expect((await c.signIn(name, `password-${name}`)).status).toBe(303);
  await c.get('/console/projects');
  return c;
}

/** A ticket through the console, as the page's script asks for one (same origin, the session's CSRF token). */
async function consoleTicket(c: ConsoleClient, headers: Record<string, string> = { Origin: CONSOLE_ORIGIN, 'X-CSRF-Token': c.csrf! }): Promise<{ status: number; body: any }> {
  const res = await p.app.request(`${CONSOLE_ORIGIN}/console/push-ticket`, { method: 'POST', headers: { Cookie: c.cookie!, ...headers } });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}
const ticketIn = (url: string) => new URL(url, CONSOLE_ORIGIN).searchParams.get('ticket')!;

beforeAll(async () => {
  p = await startPushApi();
  victim = await p.api.user('victim');
  await p.api.user('mallory');
  expect((await p.api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'bank' }, spec: {} })).status).toBe(201);
  victimConsole = await signedIn('victim');
  malloryConsole = await signedIn('mallory');
}, 60_000);
afterAll(() => p?.close());

it("a stranger's own ticket opens her own connection, on which the victim's overview is refused and nothing of it is told", async () => {
  const t = await consoleTicket(malloryConsole);
  expect(t.status).toBe(201);
  const m = await p.connect({ ticket: ticketIn(t.body.url) });
  expect(await m.ask({ watch: OVERVIEW })).toMatchObject({ type: 'error', status: 403, path: OVERVIEW });
  const v = await p.connect(victim);
  expect(await v.ask({ watch: OVERVIEW })).toEqual({ type: 'watching', path: OVERVIEW });
  expect((await p.api.call('POST', '/api/v1/projects/bank/services', victim, { metadata: { name: 'ledger' }, spec: { selector: { app: 'ledger' }, ports: [{ port: 8080 }] } })).status).toBe(201);
  expect(await v.told(OVERVIEW)).toBe(true);
  expect(m.received.filter((x) => x.type === 'changed')).toEqual([]);
  m.close();
  v.close();
}, 30_000);

it("another site cannot get a ticket with the victim's session: refused without the console's origin or its CSRF token", async () => {
  const fromElsewhere = await consoleTicket(victimConsole, { Origin: 'https://evil.example', 'X-CSRF-Token': victimConsole.csrf! });
  expect(fromElsewhere.status).toBe(403);
  const withoutToken = await consoleTicket(victimConsole, { Origin: CONSOLE_ORIGIN });
  expect(withoutToken.status).toBe(403);
  expect(JSON.stringify([fromElsewhere.body, withoutToken.body])).not.toMatch(/ticket=/);
  // Without a session there is no ticket either.
  const anonymous = await p.app.request(`${CONSOLE_ORIGIN}/console/push-ticket`, { method: 'POST', headers: { Origin: CONSOLE_ORIGIN } });
  expect(anonymous.status).toBe(401);
});

it("the victim's ticket, once used, opens nothing more; it was never a token for the API", async () => {
  const t = await consoleTicket(victimConsole);
  expect(t.status).toBe(201);
  const ticket = ticketIn(t.body.url);
  // Before its use, as an API token: refused.
  expect((await p.api.call('GET', '/api/v1/projects/bank/secrets', ticket)).status).toBe(401);
  const v = await p.connect({ ticket });
  v.close();
  // Seen afterwards (a URL in a log): a second opening with it is refused.
  await expect(p.connect({ ticket })).rejects.toThrow('refused: 401');
});
