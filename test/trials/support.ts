// Test helpers for trials: the API over a fresh DynamoDB Local table with sign-up open and a clock
// the test moves, sign-ups from a given client address, and the items of a table that name a tenant.
import { DEFAULT_TRIAL_SETTINGS, type TrialSettings } from '../../shared/trials/settings.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { snapshot } from '../support/dynamo.ts';

export interface TrialApi extends TestApi {
  settings: TrialSettings;
  /** Moves the trials' clock (and only it) forward. */
  advance(ms: number): void;
  signup(body: unknown, address?: string): Promise<{ status: number; headers: Headers; body: any }>;
}

/**
 * The trials' clock starts at the real time: items it dates (sign-up counts, events) must not be
 * past their TTL already, or DynamoDB Local's TTL would remove them while a test looks.
 */
export const START = new Date(Math.ceil(Date.now() / 1000) * 1000);
export const DAY_MS = 24 * 3600 * 1000;

export async function trialApi(overrides: Partial<TrialSettings> = {}): Promise<TrialApi> {
  let now = START.getTime();
  const settings: TrialSettings = { ...DEFAULT_TRIAL_SETTINGS, signup: 'open', signupsPerHour: 1000, now: () => new Date(now), ...overrides };
  const api = await testApi({ trials: settings });
  return {
    ...api,
    settings,
    advance: (ms) => void (now += ms),
    async signup(body, address = '198.51.100.1') {
      const res = await api.app.request('/api/v1/signup', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, { requestContext: { http: { sourceIp: address } } });
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
  };
}

/** A request with a bearer token, keeping the answer's headers. */
export async function request(api: TestApi, method: string, path: string, token: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await api.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Items of the table that mention any of `names` (in a key or in the stored document). */
export async function itemsNaming(api: TestApi, names: string[]): Promise<string[]> {
  const pattern = new RegExp(`\\b(${names.join('|')})\\b`);
  return (await snapshot(api)).filter((row) => pattern.test(row));
}
