// create pvc, get pvc, describe pvc and set volume through the real API: a claim is made with
// its size and access mode, listed with oc's columns, mounted into a DeploymentConfig (made
// first when --claim-size is given), removed again; bad flags fail with a one-line reason and
// a hint, and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;

beforeAll(async () => {
  h = await startBuildCli();
  const dc = { metadata: { name: 'db' }, spec: { replicas: 1, selector: { deploymentconfig: 'db' }, template: { metadata: { labels: { deploymentconfig: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.local/db@sha256:aaa' }] } } } };
  expect((await h.api.call('POST', `/api/v1/projects/${PROJECT}/deploymentconfigs`, h.api.adminToken, dc)).status).toBe(201);
});
afterAll(() => h.close());

describe('berth create pvc / get pvc / describe pvc', () => {
  it('makes a claim of the size and access mode given, and lists it with its status and modes', async () => {
    expect(await h.berth(['create', 'pvc', 'shared', '--size', '2Gi', '--access-mode', 'RWX'])).toEqual({ code: 0, stdout: 'persistentvolumeclaim/shared created\n', stderr: '' });
    expect((await h.get('persistentvolumeclaims', 'shared')).spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '2Gi' } } });
    const r = await h.berth(['get', 'pvc']);
    expect(r.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'AGE']);
    expect(r.stdout).toMatch(/^shared\s+Pending\s+<none>\s+<none>\s+RWX\s/m);
    const d = await h.berth(['describe', 'pvc', 'shared']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('ReadWriteMany');
  });

  it.each([
    [['create', 'pvc', 'x', '--size', '2Gi', '--access-mode', 'RWA'], /"RWA" is no access mode/],
    [['create', 'pvc', 'x', '--size', 'lots'], /storage/],
    [['create', 'pvc', 'x'], /--size/],
  ])('%j fails with a one-line reason and makes nothing', async (argv, reason) => {
    const r = await h.berth(argv);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(reason);
    expect(await h.get('persistentvolumeclaims', 'x')).toBeUndefined();
  });
});

describe('berth set volume', () => {
  it('--add with --claim-size makes the claim and mounts it (subPath), rolling out the template', async () => {
    const r = await h.berth(['set', 'volume', 'dc/db', '--add', '--claim-name', 'data', '--claim-size', '1Gi', '--mount-path', '/var/lib/pgsql/data', '--sub-path', 'pg']);
    expect(r).toEqual({ code: 0, stdout: 'persistentvolumeclaim/data created\ndeploymentconfig.apps.berth.io/db volume added\n', stderr: '' });
    expect((await h.get('persistentvolumeclaims', 'data')).spec.accessModes).toEqual(['ReadWriteOnce']);
    const spec = (await h.get('deploymentconfigs', 'db')).spec.template.spec;
    expect(spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/var/lib/pgsql/data', subPath: 'pg' }]);
  });

  it('--add of an emptyDir, then --remove takes a volume and its mounts out', async () => {
    expect((await h.berth(['set', 'volume', 'dc/db', '--add', '--type', 'emptyDir', '--name', 'tmp', '--mount-path', '/tmp/x'])).code).toBe(0);
    expect((await h.get('deploymentconfigs', 'db')).spec.template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['data', 'tmp']);
    expect((await h.berth(['set', 'volume', 'dc/db', '--remove', '--name', 'tmp'])).stdout).toBe('deploymentconfig.apps.berth.io/db volume removed\n');
    const spec = (await h.get('deploymentconfigs', 'db')).spec.template.spec;
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(['data']);
    expect(spec.containers[0].volumeMounts.map((m: { name: string }) => m.name)).toEqual(['data']);
  });

  it.each([
    [['set', 'volume', 'dc/db', '--claim-name', 'y', '--mount-path', '/y'], /give --add or --remove/],
    [['set', 'volume', 'dc/db', '--add', '--claim-name', 'y', '--claim-size', '1Gi'], /--add needs --mount-path/],
    [['set', 'volume', 'dc/db', '--remove', '--name', 'nope'], /no volume "nope"/],
    [['set', 'volume', 'dc/db', '--add', '--claim-name', 'y', '--claim-size', '1Gi', '--mount-path', '/y', '--sub-path', '../etc'], /subPath/],
  ])('%j fails with a one-line reason, and makes no claim', async (argv, reason) => {
    const before = (await h.get('deploymentconfigs', 'db')).metadata.resourceVersion;
    const r = await h.berth(argv);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect((await h.get('deploymentconfigs', 'db')).metadata.resourceVersion).toBe(before);
    expect(await h.get('persistentvolumeclaims', 'y')).toBeUndefined();
  });
});
