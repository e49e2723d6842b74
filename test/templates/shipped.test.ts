// The templates shipped in the shared `openshift` project: written by ensureSharedTemplates
// (idempotent), each processes into the objects expected, and everything but the persistent
// volume claims (a kind of its own, with the volumes that mount them) is made by a tenant.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSharedTemplates, readTemplates } from '../../shared/templates/shared-templates.ts';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let token: string;
const P = '/api/v1/projects/tenant';

const EXPECTED: Record<string, string[]> = {
  'postgresql-persistent': ['Secret/postgresql', 'Service/postgresql', 'PersistentVolumeClaim/postgresql', 'DeploymentConfig/postgresql'],
  'redis-persistent': ['Secret/redis', 'Service/redis', 'PersistentVolumeClaim/redis', 'DeploymentConfig/redis'],
  'mariadb-persistent': ['Secret/mariadb', 'Service/mariadb', 'PersistentVolumeClaim/mariadb', 'DeploymentConfig/mariadb'],
  'django-psql-persistent': ['Secret/shop', 'Service/shop', 'Route/shop', 'ImageStream/shop', 'BuildConfig/shop', 'DeploymentConfig/shop', 'Service/postgresql', 'PersistentVolumeClaim/postgresql', 'DeploymentConfig/postgresql'],
  'flask-redis-celery': ['Secret/shop', 'Service/shop', 'Route/shop', 'ImageStream/shop', 'BuildConfig/shop', 'DeploymentConfig/shop', 'DeploymentConfig/shop-worker', 'Service/redis', 'PersistentVolumeClaim/redis', 'DeploymentConfig/redis'],
  'flask-psql-redis-celery': ['Secret/counter', 'Service/counter', 'Route/counter', 'ImageStream/counter', 'BuildConfig/counter', 'DeploymentConfig/counter', 'DeploymentConfig/counter-worker', 'Service/postgresql', 'PersistentVolumeClaim/postgresql', 'DeploymentConfig/postgresql', 'Service/redis', 'PersistentVolumeClaim/redis', 'DeploymentConfig/redis'],
};
const VALUES: Record<string, Record<string, string>> = {
  'django-psql-persistent': { NAME: 'shop' },
  'flask-redis-celery': { NAME: 'shop', SOURCE_REPOSITORY_URL: 'https://git.example.com/shop.git' },
  'flask-psql-redis-celery': { NAME: 'counter', SOURCE_REPOSITORY_URL: 'https://git.example.com/berth.git', CONTEXT_DIR: 'templates/apps/flask-psql-redis-celery' },
};

/** The objects without claims and the volumes that mount them: what Berth can make before it serves PersistentVolumeClaims. */
function withoutClaims(items: any[]): any[] {
  return items
    .filter((o) => o.kind !== 'PersistentVolumeClaim')
    .map((o) => {
      if (o.kind !== 'DeploymentConfig') return o;
      const pod = o.spec.template.spec;
      const claims = new Set((pod.volumes ?? []).filter((v: any) => v.persistentVolumeClaim).map((v: any) => v.name));
      pod.volumes = (pod.volumes ?? []).filter((v: any) => !claims.has(v.name));
      for (const c of pod.containers) c.volumeMounts = (c.volumeMounts ?? []).filter((m: any) => !claims.has(m.name));
      return o;
    });
}

beforeAll(async () => {
  api = await testApi();
  token = await api.user('tenant');
  expect((await api.call('POST', '/api/v1/projects', token, { metadata: { name: 'tenant' } })).status).toBe(201);
});

describe('shipped templates', () => {
  it('are written into the openshift project once; a second start writes nothing', async () => {
    expect((await ensureSharedTemplates(api.store)).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(await ensureSharedTemplates(api.store)).toEqual([]);
    const listed = await api.call('GET', '/api/v1/projects/openshift/templates', api.adminToken);
    expect(listed.body.items.map((t: any) => t.metadata.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(readTemplates().every((t) => t.annotations.description)).toBe(true);
  });

  it.each(Object.keys(EXPECTED))('%s processes into its objects, and all but the claims are made', async (name) => {
    const stored = (await api.call('GET', `/api/v1/projects/openshift/templates/${name}`, api.adminToken)).body;
    const processed = await api.call('POST', `${P}/processedtemplates`, token, { ...stored.spec, parameterValues: VALUES[name] ?? {} });
    expect(processed.status).toBe(200);
    expect(processed.body.items.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual(EXPECTED[name]);
    // No reference is left unsubstituted, and every object carries the template label.
    expect(JSON.stringify(processed.body.items)).not.toMatch(/\$\{[A-Z_]+\}/);
    expect(processed.body.items.every((o: any) => o.metadata.labels.template === name)).toBe(true);
    expect(processed.body.message).not.toMatch(/\$\{/);
    const made = await api.call('POST', `${P}/lists?mode=apply`, token, { kind: 'List', items: withoutClaims(processed.body.items) });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const dcs = processed.body.items.filter((o: any) => o.kind === 'DeploymentConfig');
    for (const dc of dcs) {
      const got = (await api.call('GET', `${P}/deploymentconfigs/${dc.metadata.name}`, token)).body;
      expect(got.spec.triggers.find((t: any) => t.type === 'ImageChange').imageChangeParams.from.name).toBe(dc.spec.triggers[0].imageChangeParams.from.name);
    }
  });

  it.each(['flask-redis-celery', 'flask-psql-redis-celery'])('%s needs its source repository', async (name) => {
    const stored = (await api.call('GET', `/api/v1/projects/openshift/templates/${name}`, api.adminToken)).body;
    const res = await api.call('POST', `${P}/processedtemplates`, token, stored.spec);
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('parameters.SOURCE_REPOSITORY_URL');
  });

  it('flask-psql-redis-celery generates the database credentials and shows them in its message, and web and worker share the Secret', async () => {
    const stored = (await api.call('GET', '/api/v1/projects/openshift/templates/flask-psql-redis-celery', api.adminToken)).body;
    const processed = (await api.call('POST', `${P}/processedtemplates`, token, { ...stored.spec, parameterValues: VALUES['flask-psql-redis-celery'] })).body;
    const secret = processed.items.find((o: any) => o.kind === 'Secret').stringData;
    expect(secret['database-user']).toMatch(/^user[a-z0-9]{4}$/);
    expect(secret['database-password']).toMatch(/^[a-zA-Z0-9]{16}$/);
    expect(secret['broker-url']).toBe(`redis://:${secret['redis-password']}@redis:6379/0`);
    expect(processed.message).toContain(`password: ${secret['database-password']}`);
    expect(processed.message).toContain(`psql -h 127.0.0.1 -U ${secret['database-user']} visits`);
    const [web, worker] = ['counter', 'counter-worker'].map((n) => processed.items.find((o: any) => o.kind === 'DeploymentConfig' && o.metadata.name === n).spec.template.spec.containers[0]);
    expect(worker.env).toEqual(web.env);
    expect(worker.command.join(' ')).toContain('python -m celery -A tasks worker');
    // A worker that no longer takes tasks stops answering its own ping: the probe restarts it.
    expect(worker.livenessProbe.exec.command.join(' ')).toBe('/bin/sh -c exec python -m celery -A tasks inspect ping -d "celery@$(hostname)" -t 10');
    expect(worker.livenessProbe).toMatchObject({ periodSeconds: 20, failureThreshold: 2, timeoutSeconds: 30 });
  });
});
