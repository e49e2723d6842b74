// Templates through the API on DynamoDB Local: stored per project, processed into a List
// (values given, generated, refused), and the List made all-or-nothing or applied, with the
// fields of OpenShift 3 manifests that change nothing accepted and the rest refused by name.
import { beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let token: string;
const P = '/api/v1/projects/shop';

const template = {
  apiVersion: 'template.openshift.io/v1',
  kind: 'Template',
  metadata: { name: 'cache', annotations: { description: 'A cache' } },
  parameters: [
    { name: 'NAME', value: 'cache', required: true },
    { name: 'PASSWORD', generate: 'expression', from: '[a-zA-Z0-9]{16}' },
    { name: 'OWNER', required: true, description: 'who runs it' },
    { name: 'REPLICAS', value: '1' },
  ],
  objects: [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: '${NAME}' }, stringData: { password: '${PASSWORD}' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: '${NAME}' }, spec: { type: 'ClusterIP', sessionAffinity: 'None', selector: { name: '${NAME}' }, ports: [{ name: 'redis', port: 6379, targetPort: 6379 }] } },
    {
      apiVersion: 'apps.openshift.io/v1',
      kind: 'DeploymentConfig',
      metadata: { name: '${NAME}', annotations: { 'template.alpha.openshift.io/wait-for-ready': 'true' } },
      spec: {
        replicas: '${{REPLICAS}}',
        selector: { name: '${NAME}' },
        strategy: { type: 'Recreate' },
        triggers: [{ type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: ['redis'], from: { kind: 'ImageStreamTag', name: 'redis:7', namespace: 'openshift' } } }, { type: 'ConfigChange' }],
        template: {
          metadata: { labels: { name: '${NAME}' } },
          spec: {
            containers: [
              {
                name: 'redis',
                image: ' ',
                imagePullPolicy: 'IfNotPresent',
                terminationMessagePath: '/dev/termination-log',
                securityContext: { capabilities: {}, privileged: false },
                env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: '${NAME}', key: 'password' } } }, { name: 'OWNER', value: '${OWNER}' }],
                ports: [{ containerPort: 6379, protocol: 'TCP' }],
                readinessProbe: { exec: { command: ['/bin/sh', '-i', '-c', 'test "$(redis-cli -h 127.0.0.1 -a $REDIS_PASSWORD ping)" == "PONG"'] }, initialDelaySeconds: 5, timeoutSeconds: 1 },
                livenessProbe: { tcpSocket: { port: 6379 }, initialDelaySeconds: 30 },
                resources: { limits: { memory: '256Mi' } },
              },
            ],
            dnsPolicy: 'ClusterFirst',
          },
        },
      },
    },
  ],
  labels: { template: 'cache' },
  message: 'Password: ${PASSWORD}',
};

const process = (body: unknown, who = token) => api.call('POST', `${P}/processedtemplates`, who, body);
const list = (items: unknown[], mode = 'create', who = token) => api.call('POST', `${P}/lists?mode=${mode}`, who, { apiVersion: 'v1', kind: 'List', items });

beforeAll(async () => {
  api = await testApi();
  token = await api.user('owner');
  expect((await api.call('POST', '/api/v1/projects', token, { metadata: { name: 'shop' } })).status).toBe(201);
});

describe('templates', () => {
  it('are stored in a project from an OpenShift manifest and listed', async () => {
    expect((await api.call('POST', `${P}/templates`, token, template)).status).toBe(201);
    const got = await api.call('GET', `${P}/templates`, token);
    expect(got.body.items.map((t: any) => [t.metadata.name, t.spec.parameters.length, t.spec.objects.length])).toEqual([['cache', 4, 3]]);
    const bad = await api.call('POST', `${P}/templates`, token, { ...template, metadata: { name: 'bad' }, parameters: [{ name: 'X', generate: 'expression' }] });
    expect(bad.status).toBe(422);
    expect(bad.body.details[0].field).toBe('parameters.0.from');
  });

  it('process into a List with the values given, defaulted and generated, and the message', async () => {
    const res = await process({ ...template, parameterValues: { OWNER: 'ops', REPLICAS: '2' } });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('List');
    const [secret, svc, dc] = res.body.items;
    const password = secret.stringData.password;
    expect(password).toMatch(/^[a-zA-Z0-9]{16}$/);
    expect(res.body.message).toBe(`Password: ${password}`);
    expect(svc.metadata).toEqual({ name: 'cache', labels: { template: 'cache' } });
    expect(dc.spec.replicas).toBe(2);
    expect(dc.spec.template.spec.containers[0].env[1]).toEqual({ name: 'OWNER', value: 'ops' });
    // Processing stores nothing.
    expect((await api.call('GET', `${P}/secrets`, token)).body.items).toEqual([]);
  });

  it('a missing required parameter is a 422 naming it; an unknown one too', async () => {
    const missing = await process(template);
    expect(missing.status).toBe(422);
    expect(missing.body.details).toEqual([{ field: 'parameters.OWNER', message: expect.stringContaining('required') }]);
    const unknown = await process({ ...template, parameterValues: { OWNER: 'x', OWNR: 'y' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.details[0].field).toBe('parameterValues.OWNR');
  });
});

describe('Lists', () => {
  it('with one bad item make nothing, and the answer names the item and field', async () => {
    const { body } = await process({ ...template, parameterValues: { OWNER: 'ops', NAME: 'first' } });
    const broken = structuredClone(body.items);
    broken[2].spec.template.spec.containers[0].lifecycle = { preStop: {} };
    const res = await list(broken);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('items[2] (DeploymentConfig "first")');
    expect(res.body.details[0].field).toBe('items[2].spec.template.spec.containers.0.lifecycle');
    for (const plural of ['secrets', 'services', 'deploymentconfigs']) expect((await api.call('GET', `${P}/${plural}/first`, token)).status).toBe(404);
  });

  it('of an OpenShift 3 template are made: Recreate, probes, env from a Secret, an openshift image stream', async () => {
    const { body } = await process({ ...template, parameterValues: { OWNER: 'ops' } });
    const res = await list(body.items);
    expect(res.status).toBe(201);
    expect(res.body.actions).toEqual(['created', 'created', 'created']);
    const dc = (await api.call('GET', `${P}/deploymentconfigs/cache`, token)).body;
    expect(dc.spec.strategy.type).toBe('Recreate');
    expect(dc.spec.triggers[0].imageChangeParams.from).toEqual({ kind: 'ImageStreamTag', name: 'redis:7', namespace: 'openshift' });
    expect(dc.spec.template.spec.containers[0].readinessProbe.exec.command[0]).toBe('/bin/sh');
    expect(dc.spec.template.spec.containers[0]).not.toHaveProperty('imagePullPolicy');
    expect(dc.metadata.labels).toEqual({ template: 'cache' });
  });

  it('made again is refused (409 naming the item) unless applied, which updates by name', async () => {
    const { body } = await process({ ...template, parameterValues: { OWNER: 'ops', PASSWORD: 'same-password-1' } });
    const again = await list(body.items);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('items[0] (Secret "cache")');
    body.items[2].spec.replicas = 3;
    const applied = await list(body.items, 'apply');
    expect(applied.status).toBe(201);
    expect(applied.body.actions).toEqual(['configured', 'configured', 'configured']);
    expect((await api.call('GET', `${P}/deploymentconfigs/cache`, token)).body.spec.replicas).toBe(3);
    const fresh = await list([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } }], 'apply');
    expect(fresh.body.actions).toEqual(['created']);
  });

  it('refuse kinds the platform does not serve or makes itself, and a security context asking for privilege', async () => {
    const unknown = await list([{ apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'x' } }]);
    expect([unknown.status, unknown.body.details[0].field]).toEqual([422, 'items[0].kind']);
    const pod = await list([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }]);
    expect([pod.status, pod.body.details[0].field]).toEqual([422, 'items[0].kind']);
    const { body } = await process({ ...template, parameterValues: { OWNER: 'ops', NAME: 'priv' } });
    body.items[2].spec.template.spec.containers[0].securityContext = { privileged: true };
    const priv = await list(body.items);
    expect(priv.status).toBe(422);
    expect(priv.body.details[0].field).toBe('items[2].spec.template.spec.containers.0.securityContext');
  });

  it('a failure while writing deletes again what the List created, and says so', async () => {
    // A quota of two services: each item passes its dry run, the second Service is refused when written.
    const quota = await api.call('POST', `${P}/resourcequotas`, api.adminToken, { metadata: { name: 'q' }, spec: { hard: { services: '2' } } });
    expect(quota.status).toBe(201);
    const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { a: 'b' }, ports: [{ port: 80 }] } });
    const res = await list([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'half' }, data: {} }, svc('s1'), svc('s2')]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.details.failed).toBe('items[2]');
    expect(res.body.details.deletedAgain).toEqual(['items[0] (ConfigMap "half")', 'items[1] (Service "s1")']);
    expect((await api.call('GET', `${P}/configmaps/half`, token)).status).toBe(404);
    expect((await api.call('GET', `${P}/services/s1`, token)).status).toBe(404);
    expect((await api.call('DELETE', `${P}/resourcequotas/q`, api.adminToken)).status).toBe(204);
  });
});
