// Attack: a stranger who signed up a minute ago goes after another tenant's Secret — reading or
// listing it through the API, naming it from a pod of their own project (by its name, or a
// project-qualified spelling) so that their host hands them its value, or fishing it out of
// error messages and events; and a user the victim let `view` the project reads it. All fail:
// Secrets are read from the pod's own project only, view gets 403, and no answer, status or
// event carries a value.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startConfigOf } from '../../shared/fleet/pod-sync.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { specCodecs } from '../../shared/secrets/codecs.ts';
import { PodConfigError } from '../../shared/secrets/pod-config.ts';
import { testApi, type TestApi } from '../support/api.ts';

const VALUE = 'victim-db-password-51c9';
const B64 = Buffer.from(VALUE).toString('base64');
let api: TestApi;
let box: LocalSecretBox;
let victim: string, stranger: string, viewer: string;
const leaks = (x: unknown) => JSON.stringify(x).includes(VALUE) || JSON.stringify(x).includes(B64);

function pod(project: string, container: Record<string, unknown>, volumes?: unknown[]): Pod {
  return {
    kind: 'Pod',
    metadata: { name: 'p-1', project, labels: {}, annotations: {} },
    spec: { containers: [{ name: 'c', image: 'x', env: [], ...container }], ...(volumes ? { volumes } : {}) },
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  } as unknown as Pod;
}

beforeAll(async () => {
  box = await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key'));
  api = await testApi({ codecs: specCodecs(box) });
  victim = await api.user('victim');
  stranger = await api.user('stranger');
  viewer = await api.user('viewer');
  expect((await api.call('POST', '/api/v1/projects', victim, { metadata: { name: 'bank' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'evil' } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/bank/rolebindings', victim, { metadata: { name: 'view' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'viewer' }] } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects/bank/secrets', victim, { metadata: { name: 'db' }, stringData: { password: VALUE } })).status).toBe(201);
});

describe('another tenant\'s Secret', () => {
  it('cannot be read or listed by a stranger: the same 403 as for a project that does not exist', async () => {
    const one = await api.call('GET', '/api/v1/projects/bank/secrets/db', stranger);
    const list = await api.call('GET', '/api/v1/projects/bank/secrets', stranger);
    const none = await api.call('GET', '/api/v1/projects/no-such-project/secrets/db', stranger);
    expect([one.status, list.status]).toEqual([403, 403]);
    expect(one.body.message.replace('bank', 'X')).toBe(none.body.message.replace('no-such-project', 'X'));
    expect(leaks([one, list])).toBe(false);
  });

  it('cannot be changed or deleted by a stranger', async () => {
    expect((await api.call('PUT', '/api/v1/projects/bank/secrets/db', stranger, { metadata: { name: 'db', resourceVersion: '1' }, stringData: { password: 'mine' } })).status).toBe(403);
    expect((await api.call('DELETE', '/api/v1/projects/bank/secrets/db', stranger)).status).toBe(403);
    expect((await api.call('GET', '/api/v1/projects/bank/secrets/db', victim)).body.spec.data.password).toBe(B64);
  });

  it('cannot be read by a user with view in the project, one by one or in a list', async () => {
    expect((await api.call('GET', '/api/v1/projects/bank/secrets/db', viewer)).status).toBe(403);
    expect((await api.call('GET', '/api/v1/projects/bank/secrets', viewer)).status).toBe(403);
  });

  it.each([
    ['env secretKeyRef', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }, undefined],
    ['envFrom secretRef', { envFrom: [{ secretRef: { name: 'db' } }] }, undefined],
    ['a secret volume', { volumeMounts: [{ name: 'v', mountPath: '/v' }] }, [{ name: 'v', secret: { secretName: 'db' } }]],
  ])('named from a pod of the stranger\'s project (%s), resolves in that project only: not found there', async (_, container, volumes) => {
    const err = await startConfigOf(api.store, box, pod('evil', container, volumes)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodConfigError);
    expect((err as Error).message).toContain('secret "db" not found');
    expect(leaks((err as Error).message)).toBe(false);
  });

  it('a project-qualified name resolves in the pod\'s project too (a name is only a name)', async () => {
    for (const name of ['bank/db', '../bank/db', 'bank:db']) {
      const err = await startConfigOf(api.store, box, pod('evil', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name, key: 'password' } } }] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PodConfigError);
      expect(leaks(err)).toBe(false);
    }
  });

  it('the stranger\'s own Secret of the same name gives the stranger\'s value, never the victim\'s', async () => {
    expect((await api.call('POST', '/api/v1/projects/evil/secrets', stranger, { metadata: { name: 'db' }, stringData: { password: 'strangers-own' } })).status).toBe(201);
    const config = await startConfigOf(api.store, box, pod('evil', { envFrom: [{ secretRef: { name: 'db' } }] }, [{ name: 'v', secret: { secretName: 'db' } }]));
    expect(config.env).toContainEqual({ name: 'password', value: 'strangers-own', secretKeyRef: { name: 'db', key: 'password' } });
    expect(leaks(config.env)).toBe(false);
  });

  it('a DeploymentConfig of the stranger naming it is admitted (names are per project) and says nothing of the victim\'s', async () => {
    const dc = { metadata: { name: 'thief' }, spec: { selector: { app: 't' }, template: { metadata: { labels: { app: 't' } }, spec: { containers: [{ name: 'c', image: 'docker.io/library/busybox', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nosuch', key: 'password' } } }] }] } } } };
    const res = await api.call('POST', '/api/v1/projects/evil/deploymentconfigs', stranger, dc);
    expect(res.status).toBe(201);
    expect(leaks(res.body)).toBe(false);
  });

  it('a value in a refused write is not echoed back in the error', async () => {
    const res = await api.call('POST', '/api/v1/projects/evil/secrets', stranger, { metadata: { name: 'bad' }, data: { password: `${VALUE}!` } });
    expect(res.status).toBe(422);
    expect(leaks(res.body)).toBe(false);
  });
});
