// The per-user rate limit on DynamoDB Local: each authenticated request counts against its user
// in a one-minute window kept in the table, so every API instance sees the same count; past the
// limit, 429 with Retry-After until the window ends, then requests go through again.
// Why per user: API Gateway's stage and route throttles are shared by every client of the API
// (API Gateway Developer Guide, "Throttle requests to your HTTP APIs for better throughput in API
// Gateway"), so one tenant could use up everyone's share.
import { describe, expect, it } from 'vitest';
import { createApi } from '../../shared/api/app.ts';
import { DEFAULT_REQUESTS_PER_MINUTE, DynamoRateLimiter, rateLimitFrom } from '../../shared/api/rate-limit.ts';
import { refOfKey } from '../../shared/store/keys.ts';
import { testApi } from '../support/api.ts';

const WINDOW = Date.parse('2026-12-02T10:00:00Z');

describe('the per-user rate limit', () => {
  it('lets a user make the limit of requests in a window, then answers 429 with Retry-After until the window ends', async () => {
    const api = await testApi();
    let clock = WINDOW + 15_000;
    const limiter = new DynamoRateLimiter({ client: api.client, tableName: api.tableName, perMinute: 5, now: () => clock });
    // Two API instances (two Lambdas) over one table: the count is the table's, not an instance's.
    const apps = [createApi({ store: api.store, identity: api.identity, rateLimit: limiter }), createApi({ store: api.store, identity: api.identity, rateLimit: limiter })];
    const token = await api.user('alice');
    const get = (i: number) => apps[i % 2]!.request('/api/v1/projects', { headers: { Authorization: `Bearer ${token}` } });
    for (let i = 0; i < 5; i++) expect((await get(i)).status).toBe(200);
    const refused = await get(5);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('45');
    expect(await refused.json()).toMatchObject({ code: 'TooManyRequests', message: 'too many requests: more than 5 a minute from this user; try again in 45 s' });

    clock = WINDOW + 60_000;
    expect((await get(6)).status).toBe(200);
  });

  it('counts in items that are not objects (the stream filter keeps them from the reconcilers), forgotten by TTL', async () => {
    const api = await testApi();
    const limiter = new DynamoRateLimiter({ client: api.client, tableName: api.tableName, perMinute: 5, now: () => WINDOW + 1 });
    expect(await limiter.take('alice')).toBe(0);
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const items = (await api.client.send(new ScanCommand({ TableName: api.tableName }))).Items ?? [];
    const counts = items.filter((i) => i.pk?.S?.startsWith('R#'));
    expect(counts).toHaveLength(1);
    expect(counts[0]).toMatchObject({ sk: { S: String(WINDOW) }, n: { N: '1' }, ttl: { N: String((WINDOW + 120_000) / 1000) } });
    expect(counts[0]!.pk!.S).not.toContain('alice');
    expect(refOfKey({ pk: counts[0]!.pk!.S!, sk: counts[0]!.sk!.S! })).toBeUndefined();
  });

  it('is set by BERTH_API_RATE_LIMIT: requests a minute, 0 turns it off, anything else is refused naming the variable', async () => {
    const api = await testApi();
    expect(rateLimitFrom({}, api.client, api.tableName)?.perMinute).toBe(DEFAULT_REQUESTS_PER_MINUTE);
    expect(rateLimitFrom({ BERTH_API_RATE_LIMIT: '120' }, api.client, api.tableName)?.perMinute).toBe(120);
    expect(rateLimitFrom({ BERTH_API_RATE_LIMIT: '0' }, api.client, api.tableName)).toBeUndefined();
    expect(() => rateLimitFrom({ BERTH_API_RATE_LIMIT: 'lots' }, api.client, api.tableName)).toThrow('BERTH_API_RATE_LIMIT must be a whole number');
  });

  describe('written in batches where the limit is large', () => {
    /** The client, counting its UpdateItem requests (the rate counts' writes). */
    const counting = (api: Awaited<ReturnType<typeof testApi>>) => {
      const writes = { n: 0 };
      const client = new Proxy(api.client, {
        get: (target, prop, receiver) => (prop === 'send' ? (cmd: { constructor: { name: string } }) => ((writes.n += cmd.constructor.name === 'UpdateItemCommand' ? 1 : 0), target.send(cmd as never)) : Reflect.get(target, prop, receiver)),
      });
      return { client, writes };
    };

    it('writes a user\'s first request of a window, then one write per batch (12 of 600)', async () => {
      const api = await testApi();
      const { client, writes } = counting(api);
      const limiter = new DynamoRateLimiter({ client, tableName: api.tableName, perMinute: 600, now: () => WINDOW + 1 });
      expect(limiter.batch).toBe(12);
      for (let i = 0; i < 30; i++) expect(await limiter.take('alice')).toBe(0);
      // The 1st, then the 13th and 25th (each adding 12): 25 counted in the table, 5 in the instance.
      expect(writes.n).toBe(3);
      const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
      const { createHash } = await import('node:crypto');
      const item = await api.client.send(new GetItemCommand({ TableName: api.tableName, Key: { pk: { S: `R#${createHash('sha256').update('alice').digest('hex')}` }, sk: { S: String(WINDOW) } } }));
      expect(item.Item?.n).toEqual({ N: '25' });
    });

    it('holds across instances: a fresh instance learns the count at its first request, and the user goes past the limit by less than a batch per instance', async () => {
      const api = await testApi();
      const { client, writes } = counting(api);
      const make = () => new DynamoRateLimiter({ client, tableName: api.tableName, perMinute: 100, batch: 5, now: () => WINDOW + 1 });
      const [a, b] = [make(), make()];
      let allowed = 0;
      for (let i = 0; i < 300; i++) if ((await (i % 2 ? b : a).take('mallory')) === 0) allowed++;
      expect(allowed).toBeGreaterThanOrEqual(100);
      expect(allowed).toBeLessThan(100 + 2 * 5);
      // Far fewer writes than requests; a refused request writes nothing.
      expect(writes.n).toBeLessThanOrEqual(2 + Math.ceil(allowed / 5));
      // A third instance, fresh: refused at its first request, having learnt the count.
      expect(await make().take('mallory')).toBeGreaterThan(0);
      // Another user is not touched.
      expect(await make().take('alice')).toBe(0);
    });
  });
});
