// Attack: a stranger who signed up a minute ago opens a push connection on AWS (the push function
// behind the WebSocket API) and goes after the victim's project: watch its pods, its build log,
// its secrets and role bindings, slip past the path check, or silence the victim by unwatching
// for them. Each watch is refused, writes nothing, and when the victim's objects and log change
// the stranger is sent nothing while the victim is told. A user the victim lets in is told too,
// and stops being told the moment the victim takes the binding away. The stream handler is fed
// DynamoDB Local's own stream records; API Gateway's PostToConnection is mocked and read.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { snapshot } from '../support/dynamo.ts';

/** The table but the users' rate counts (a refused message counts against its user, as a refused API request does). */
const stateOf = async (t: Parameters<typeof snapshot>[0]) => (await snapshot(t)).filter((r) => !r.includes('"pk":{"S":"R#'));
import { awsPush, type AwsPush } from '../support/push-aws.ts';
import { trialApi, type TrialApi } from '../trials/support.ts';

let api: TrialApi;
let push: AwsPush;
let victim: string;
let stranger: string;
let pods = 0;

const PODS = '/api/v1/projects/victim/pods';
const LOG = '/api/v1/projects/victim/builds/web-1/log';

/** What the victim's app does all day: a pod written by the platform, a build log line, a ConfigMap changed by the victim. */
async function victimChanges(): Promise<void> {
  await api.store.create({ kind: 'Pod', metadata: { name: `web-1-${++pods}`, project: 'victim', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x', env: [], ports: [], resources: { requests: {}, limits: {} } }] } as never, status: { phase: 'Pending', conditions: [] } as never });
  await new DynamoBuildLogs({ client: api.client, tableName: api.tableName }).append({ kind: 'Build', project: 'victim', name: 'web-1' }, `step ${pods}\n`);
  await push.streamed();
}

/** The messages posted to one connection, by path (a batch tells its watchers side by side). */
const toConnection = (connection: string) => push.posts().filter((p) => p.ConnectionId === connection).map((p) => JSON.parse(String(p.Data))).sort((a, b) => a.path.localeCompare(b.path));
/** The pods' notice of one round of victimChanges: it carries the pod written. */
const podTold = () => ({ type: 'changed', path: PODS, objects: [expect.objectContaining({ kind: 'Pod', metadata: expect.objectContaining({ name: `web-1-${pods}`, project: 'victim' }) })], gone: [] });
/** What the victim is told of one round of victimChanges: the log's new line and the pod, carried. */
const victimTold = () => [{ type: 'changed', path: LOG, offset: expect.any(Number), text: `step ${pods}\n` }, podTold()];

beforeAll(async () => {
  api = await trialApi();
  victim = (await api.signup({ username: 'victim', password: 'victims-password' }, '192.0.2.10')).body.token;
  api.advance(60_000);
  stranger = (await api.signup({ username: 'stranger', password: 'strangers-password' }, '192.0.2.66')).body.token;
  push = await awsPush(api);
  expect(await push.connect('c-victim', { Authorization: `Bearer ${victim}` })).toBe(200);
  expect(await push.watch('c-victim', PODS)).toEqual({ type: 'watching', path: PODS });
  expect(await push.watch('c-victim', LOG)).toEqual({ type: 'watching', path: LOG });
  expect(await push.connect('c-stranger', { Authorization: `Bearer ${stranger}` })).toBe(200);
  expect(await push.watch('c-stranger', '/api/v1/projects/stranger/pods')).toEqual({ type: 'watching', path: '/api/v1/projects/stranger/pods' });
});

beforeEach(async () => {
  await push.streamed();
  push.management.resetHistory();
});

describe('a stranger\'s push connection against the victim\'s project', () => {
  it.each([PODS, LOG, '/api/v1/projects/victim/secrets', '/api/v1/projects/victim/rolebindings', '/api/v1/projects/victim/configmaps'])('watching %s is refused (403) and writes nothing', async (path) => {
    const before = await stateOf(api);
    expect(await push.watch('c-stranger', path)).toMatchObject({ type: 'error', status: 403, path });
    expect(await stateOf(api)).toEqual(before);
  });

  it.each([
    '/api/v1/projects/stranger/../victim/pods',
    '/api/v1/projects/victim/pods/',
    '/api/v1/projects/victim/builds/web-1/log/../../../pods',
    '/api/v1/projects/victim%2Fpods',
    'api/v1/projects/victim/pods',
  ])('a crafted path (%s) is no topic: 400, nothing written', async (path) => {
    const before = await stateOf(api);
    expect(await push.watch('c-stranger', path)).toMatchObject({ type: 'error', status: 400 });
    expect(await stateOf(api)).toEqual(before);
  });

  it('cannot open a connection on a token it made up', async () => {
    expect(await push.connect('c-forged', { Authorization: 'Bearer victim' })).toBe(401);
    expect((await stateOf(api)).filter((r) => r.includes('c-forged'))).toEqual([]);
  });

  it('unwatching the victim\'s paths touches only its own connection: the victim is still told', async () => {
    expect(await push.send('c-stranger', { unwatch: PODS })).toMatchObject({ status: 200, reply: { type: 'unwatched' } });
    expect(await push.send('c-stranger', { unwatch: LOG })).toMatchObject({ status: 200, reply: { type: 'unwatched' } });
    await victimChanges();
    expect(toConnection('c-victim')).toEqual(victimTold());
  });

  it('is sent nothing when the victim\'s objects and build log change', async () => {
    await victimChanges();
    expect(toConnection('c-victim')).toEqual(victimTold());
    expect(push.posts().filter((p) => p.ConnectionId !== 'c-victim')).toEqual([]);
  });
});

describe('a user removed from the project', () => {
  it('is told while bound, and nothing more once the binding is gone', async () => {
    const bind = await api.call('POST', '/api/v1/projects/victim/rolebindings', victim, { metadata: { name: 'helper' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'stranger' }] } });
    expect(bind.status, JSON.stringify(bind.body)).toBe(201);
    expect(await push.watch('c-stranger', PODS)).toEqual({ type: 'watching', path: PODS });
    await push.streamed();
    push.management.resetHistory();
    await victimChanges();
    expect(toConnection('c-stranger')).toEqual([podTold()]);

    expect((await api.call('DELETE', '/api/v1/projects/victim/rolebindings/helper', victim)).status).toBe(204);
    await push.streamed();
    push.management.resetHistory();
    await victimChanges();
    expect(toConnection('c-stranger')).toEqual([]);
    expect(toConnection('c-victim')).toEqual(victimTold());
  });
});
