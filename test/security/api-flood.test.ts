// Attack: a stranger who signed up a minute ago floods the API, hoping to use up the stage's
// shared throttle and so lock the first tenant out. Requests are counted per user in the table:
// the flooder gets 429 with Retry-After, and the tenant, in the same minute, is answered as
// always and finds its project as it was. Through the real API over DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../shared/api/app.ts';
import { DynamoRateLimiter } from '../../shared/api/rate-limit.ts';
import { testApi, type TestApi } from '../support/api.ts';

const LIMIT = 20;
let api: TestApi;
let app: ReturnType<typeof createApi>;
let tenant: string;
let stranger: string;

beforeAll(async () => {
  api = await testApi();
  // One window for the whole test: the flood and the tenant's requests share it.
  const clock = Date.parse('2026-12-02T10:00:05Z');
  app = createApi({ store: api.store, identity: api.identity, rateLimit: new DynamoRateLimiter({ client: api.client, tableName: api.tableName, perMinute: LIMIT, now: () => clock }) });
  tenant = await api.user('tenant');
  stranger = await api.user('stranger');
  const made = await app.request('/api/v1/projects', { method: 'POST', headers: { Authorization: `Bearer ${tenant}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'shop' } }) });
  expect(made.status).toBe(201);
});

const as = (token: string, path: string) => app.request(path, { headers: { Authorization: `Bearer ${token}` } });

describe('one tenant flooding the API', () => {
  it('is throttled itself, and does not get another tenant throttled', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 10; i++) statuses.push((await as(stranger, '/api/v1/projects')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.slice(LIMIT)).toEqual(Array(10).fill(429));
    const refused = await as(stranger, '/api/v1/projects/shop');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBe(55);

    // The tenant, in the same minute: every request answered, its project as it was.
    for (let i = 0; i < 5; i++) expect((await as(tenant, '/api/v1/projects')).status).toBe(200);
    const project = await as(tenant, '/api/v1/projects/shop');
    expect(project.status).toBe(200);
    expect(((await project.json()) as { metadata: { name: string } }).metadata.name).toBe('shop');
  });

  it('flooding with a token of another user is not possible: a made-up token is refused before it is counted', async () => {
    const forged = await as('not-a-real-token-of-the-tenant', '/api/v1/projects');
    expect(forged.status).toBe(401);
    expect((await as(tenant, '/api/v1/projects')).status).toBe(200);
  });
});
