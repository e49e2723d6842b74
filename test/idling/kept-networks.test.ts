// Which projects keep their empty pod network on an engine, read from the real store (DynamoDB
// Local): an idled project does; so does one being woken, from the wake until its woken pod is
// on the network (its Service keeps its idled mark until then), so that the host agent's passes
// in between do not tear the network, its proxies and its warm sandbox down under the starting
// pod; a project woken and served again, being deleted, or whose only marked Service names no
// DC that lives, keeps nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { IDLED_AT, UNIDLE_TARGETS } from '../../shared/idling/annotations.ts';
import { idleDeploymentConfig, unidleDeploymentConfig } from '../../shared/idling/actions.ts';
import { idler } from '../../shared/idling/idler.ts';
import { keepsIdledNetwork } from '../../shared/idling/kept-networks.ts';
import { IdleSignalTable } from '../../shared/idling/signals.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig, Service } from '../../shared/model/objects.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { patchObject, patchStatus } from '../../shared/store/patch.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const P = 'keeps';
let t: TestTable;
const dcRef = (name: string) => ({ kind: 'DeploymentConfig', project: P, name });
const svcRef = (name: string) => ({ kind: 'Service', project: P, name });
const keeps = () => keepsIdledNetwork(t.store, P);

async function app(name: string): Promise<void> {
  const spec = deploymentConfigSpec.parse({
    replicas: 1,
    selector: { app: name },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1' }] } },
  });
  await t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: P }, spec });
  await t.store.create<Service>({ kind: 'Service', metadata: { name, project: P }, spec: { selector: { app: name }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] } } as never);
}

/** The woken Service gets a ready endpoint, and the idler takes its mark off. */
async function served(name: string): Promise<void> {
  await patchStatus<Service>(t.store, svcRef(name), (cur) => ({ ...cur.status, endpoints: [{ pod: `${name}-1-abcde`, host: 'local', ip: '127.0.0.1', ports: [{ port: 8080, hostPort: 32768 }] }] }) as never);
  await idler({ store: t.store, signals: new IdleSignalTable({ client: t.client, tableName: t.tableName }), idleAfterMs: 1800_000 }).reconcile(svcRef(name));
  expect((await t.store.get<Service>(svcRef(name)))!.metadata.annotations).not.toHaveProperty(IDLED_AT);
}

beforeEach(async () => {
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await app('web');
});

describe('keepsIdledNetwork', () => {
  it('keeps nothing for a project that is not idled', async () => {
    expect(await keeps()).toBe(false);
  });

  it('keeps the network of an idled project, and of one being woken until its Service is served again', async () => {
    await idleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'quiet');
    expect(await keeps()).toBe(true);
    await unidleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'a request');
    // Woken: the DC is no longer idled, its pod not started yet. The Service is still marked.
    expect((await t.store.get<DeploymentConfig>(dcRef('web')))!.metadata.annotations).not.toHaveProperty(IDLED_AT);
    expect(await keeps()).toBe(true);
    await served('web');
    expect(await keeps()).toBe(false);
  });

  it('keeps nothing for a project being deleted, idled or being woken', async () => {
    await idleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'quiet');
    await unidleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'a request');
    await patchObject<BerthObject>(t.store, { kind: 'Project', project: '', name: P }, (cur) => ({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: new Date().toISOString() } }));
    expect(await keeps()).toBe(false);
  });

  it('keeps nothing for a marked Service whose DCs are gone, nor for one that names only a DC of another name', async () => {
    await idleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'quiet');
    await unidleDeploymentConfig(t.store, dcRef('web'), Date.now(), 'a request');
    await app('other');
    await patchObject<Service>(t.store, svcRef('web'), (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [UNIDLE_TARGETS]: 'gone' } } }));
    expect(await keeps()).toBe(false);
    await patchObject<Service>(t.store, svcRef('web'), (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [UNIDLE_TARGETS]: 'web' } } }));
    expect(await keeps()).toBe(true);
    await t.store.delete(dcRef('web'));
    expect(await keeps()).toBe(false);
  });
});
