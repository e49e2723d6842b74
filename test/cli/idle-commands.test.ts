// berth idle / unidle dc/NAME through the real API: idling scales to 0 and remembers the
// replicas (shown by get and describe), marks the DC's Service for the routers, and unidle gives
// the replicas back; what cannot be done is a one-line reason with a hint, changing nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLED_AT, PREVIOUS_REPLICAS, UNIDLE_TARGETS, UNIDLED_AT } from '../../shared/idling/annotations.ts';
import { PROJECT, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
const rows = (out: string) => out.trimEnd().split('\n').map((l) => l.trim().split(/\s{2,}/));

beforeAll(async () => {
  h = await startBuildCli();
  const token = h.api.adminToken;
  const r = await h.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, token, {
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/web@sha256:aaa' }] } } },
  });
  expect(r.status).toBe(201);
  const s = await h.api.call('POST', `/api/v1/projects/${PROJECT}/services`, token, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } });
  expect(s.status).toBe(201);
});
afterAll(() => h.close());

describe('berth idle and unidle', () => {
  it('idle scales to 0 remembering the replicas; get and describe show it; the Service is marked for the routers', async () => {
    expect(await h.berth(['idle', 'dc/web'])).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web idled (3 replicas remembered)\n', stderr: '' });

    const dc = await h.get('deploymentconfigs', 'web');
    expect(dc.spec.replicas).toBe(0);
    expect(dc.metadata.annotations).toMatchObject({ [PREVIOUS_REPLICAS]: '3', [IDLED_AT]: expect.any(String) });
    expect((await h.get('services', 'web')).metadata.annotations).toMatchObject({ [IDLED_AT]: dc.metadata.annotations[IDLED_AT], [UNIDLE_TARGETS]: 'web' });
    expect(rows((await h.berth(['get', 'dc', 'web'])).stdout)[1]).toEqual(['web', '0', '0 (idled, wakes to 3)', '0', 'config']);
    const described = await h.berth(['describe', 'dc/web']);
    expect(described.stdout).toContain(`${IDLED_AT}=${dc.metadata.annotations[IDLED_AT]}`);
    expect(described.stdout).toMatch(/Idled\s+\S+\s+1\s+scaled from 3 to 0: idled by admin/);
  });

  it('unidle gives the replicas back; unidling again is a conflict with a hint and changes nothing', async () => {
    expect(await h.berth(['unidle', 'dc/web'])).toEqual({ code: 0, stdout: 'deploymentconfig.apps.berth.io/web woken (3 replicas)\n', stderr: '' });
    const dc = await h.get('deploymentconfigs', 'web');
    expect(dc.spec.replicas).toBe(3);
    expect(dc.metadata.annotations).not.toHaveProperty(IDLED_AT);
    expect(dc.metadata.annotations).not.toHaveProperty(PREVIOUS_REPLICAS);
    expect(dc.metadata.annotations[UNIDLED_AT]).toEqual(expect.any(String));

    const again = await h.berth(['unidle', 'dc/web']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toBe('error: deployment config "web" is not idled\nhint: use `berth scale` to change its replicas\n');
    expect((await h.get('deploymentconfigs', 'web')).metadata.resourceVersion).toBe(dc.metadata.resourceVersion);
  });

  it('a DC with no replicas has nothing to idle; an unknown DC is named with a hint', async () => {
    await h.berth(['scale', 'dc/web', '--replicas', '0']);
    const none = await h.berth(['idle', 'dc/web']);
    expect(none.code).not.toBe(0);
    expect(none.stderr.split('\n')[0]).toBe('error: deployment config "web" has no replicas to idle');
    expect((await h.get('deploymentconfigs', 'web')).metadata.annotations).not.toHaveProperty(IDLED_AT);

    const missing = await h.berth(['idle', 'dc/nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope/);
    expect(missing.stderr).toMatch(/hint: /);
    expect((await h.berth(['idle', 'svc/web'])).stderr).toBe('error: "svc/web" does not name a deploymentconfig\nhint: give dc/NAME\n');
  });
});
