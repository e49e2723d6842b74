// `berth rollout status` waits on a watch, not on a request every poll interval: while nothing
// changes it keeps one request open (the API holds it), and it hears of the change at once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReplicationController } from '../../shared/model/objects.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
const requests: string[] = [];

beforeAll(async () => {
  h = await startCli((api) => ({
    fetch: (request: Request) => {
      requests.push(`${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`);
      return api.app.fetch(request);
    },
  }));
  await h.login('admin');
  expect((await h.berth(['new-project', 'watched-rollout'])).code).toBe(0);
  const dc = await h.api.call('POST', '/api/v1/projects/watched-rollout/deploymentconfigs', h.api.adminToken, {
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { deploymentconfig: 'web' }, template: { metadata: { labels: { deploymentconfig: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa' }] } } },
  });
  expect(dc.status).toBe(201);
  expect((await h.berth(['rollout', 'latest', 'dc/web', '-n', 'watched-rollout'])).code).toBe(0);
}, 60_000);
afterAll(() => h?.close());

it('rollout status holds one watch while nothing changes, and ends as soon as the revision completes', async () => {
  requests.length = 0;
  const run = h.berth(['rollout', 'status', 'dc/web', '-n', 'watched-rollout', '--poll-interval', '50']);
  const held = () => requests.filter((r) => r.includes('watch=1') && r.includes('resourceVersion='));
  for (let i = 0; i < 200 && !held().length; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1_500));
  // The first listing, the DC, the one held watch: polling every 50 ms would have sent some thirty more requests by now.
  expect(held()).toHaveLength(1);
  expect(requests.length).toBeLessThanOrEqual(4);
  const completed = Date.now();
  await patchStatus<ReplicationController>(h.api.store, { kind: 'ReplicationController', project: 'watched-rollout', name: 'web-1' }, (rc) => ({ ...rc.status, phase: 'Complete', availableReplicas: 1 }));
  const r = await run;
  expect(Date.now() - completed).toBeLessThan(3_000);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('Waiting for rollout to finish: 0 of 1 updated replicas are available...\nreplication controller "web-1" successfully rolled out\n');
});
