// A change of a Secret or ConfigMap rolls out the DeploymentConfigs whose pods use it (as a
// ConfigChange), through the DeploymentConfig controller on DynamoDB Local: the revision's pod
// template records a hash of the stored data; a write that changes nothing, or a change of an
// object no DC uses, makes no revision; a DC without ConfigChange trigger is left alone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentConfigReconciler } from '../../shared/deploy/deploymentconfig.ts';
import { CONFIG_HASH_ANNOTATION } from '../../shared/model/config-kinds.ts';
import { deploymentConfigSpec } from '../../shared/model/deploy-kinds.ts';
import type { DeploymentConfig, ReplicationController } from '../../shared/model/objects.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { secretDataCodec } from '../../shared/secrets/secret-codec.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const P = 'conf';
let t: TestTable;
let ctl: ReturnType<typeof deploymentConfigReconciler>;
let codec: ReturnType<typeof secretDataCodec>;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const rcsOf = async (dc: string) =>
  (await collect(eachObject<ReplicationController>(t.store, 'ReplicationController', P, { deploymentconfig: dc }))).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));

async function createDc(name: string, container: Record<string, unknown>, over: Record<string, unknown> = {}): Promise<void> {
  const spec = deploymentConfigSpec.parse({
    replicas: 1,
    selector: { deploymentconfig: name },
    template: { metadata: { labels: { deploymentconfig: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', ...container }] } },
    ...over,
  });
  await t.store.create<DeploymentConfig>({ kind: 'DeploymentConfig', metadata: { name, project: P }, spec });
  await ctl.reconcile({ kind: 'DeploymentConfig', project: P, name });
}

/** Writes the Secret's values as the API does (sealed, unchanged values kept) and tells the controller. */
async function writeSecret(values: Record<string, string>): Promise<void> {
  const stored = await t.store.get<BerthObject<any>>({ kind: 'Secret', project: P, name: 'db' });
  const spec = await codec.seal({ type: 'Opaque', data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)])) }, stored?.spec);
  if (stored) await t.store.update({ ...stored, spec });
  else await t.store.create({ kind: 'Secret', metadata: { name: 'db', project: P }, spec });
  await ctl.reconcile({ kind: 'Secret', project: P, name: 'db' });
}

beforeAll(async () => {
  t = await freshTable();
  codec = secretDataCodec(await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key')));
  ctl = deploymentConfigReconciler({ store: t.store });
  await t.store.create({ kind: 'Project', metadata: { name: P, project: '' }, spec: {} });
  await writeSecret({ password: 'one' });
  await t.store.create({ kind: 'ConfigMap', metadata: { name: 'app', project: P }, spec: { data: { MODE: 'a' } } });
  await t.store.create({ kind: 'ConfigMap', metadata: { name: 'unused', project: P }, spec: { data: { X: '1' } } });
  await createDc('web', { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] });
  await createDc('files', { volumeMounts: [{ name: 'c', mountPath: '/etc/c' }] }, { template: { metadata: { labels: { deploymentconfig: 'files' } }, spec: { containers: [{ name: 'web', image: 'registry.local/app@sha256:1', volumeMounts: [{ name: 'c', mountPath: '/etc/c' }] }], volumes: [{ name: 'c', configMap: { name: 'app' } }] } } });
  await createDc('manual', { envFrom: [{ secretRef: { name: 'db' } }] }, { triggers: [] });
});

describe('a Secret or ConfigMap change', () => {
  it('the first revision records the hash of what its pods use', async () => {
    const [rc] = await rcsOf('web');
    expect(rc!.spec.template.metadata.annotations?.[CONFIG_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
    expect((await rcsOf('files'))).toHaveLength(1);
    expect((await rcsOf('manual'))).toHaveLength(0);
  });

  it('writing the same values again rolls out nothing', async () => {
    await writeSecret({ password: 'one' });
    expect(await rcsOf('web')).toHaveLength(1);
  });

  it('a new value rolls out the DeploymentConfigs using the Secret, as a config change', async () => {
    await writeSecret({ password: 'two' });
    const rcs = await rcsOf('web');
    expect(rcs.map((r) => r.metadata.name)).toEqual(['web-1', 'web-2']);
    expect(rcs[1]!.spec.template.metadata.annotations?.[CONFIG_HASH_ANNOTATION]).not.toBe(rcs[0]!.spec.template.metadata.annotations?.[CONFIG_HASH_ANNOTATION]);
    expect(rcs[1]!.metadata.annotations['berth.io/cause']).toBe('ConfigChange');
    const dc = (await t.store.get<DeploymentConfig>({ kind: 'DeploymentConfig', project: P, name: 'web' }))!;
    expect(dc.status.details?.message).toContain('a Secret or ConfigMap it uses changed');
    // Neither the sealed value nor the plain one is in the revision.
    expect(JSON.stringify(rcs)).not.toMatch(/sealed:|two|dHdv/);
    expect(await rcsOf('files')).toHaveLength(1);
    expect(await rcsOf('manual')).toHaveLength(0);
  });

  it('a ConfigMap change rolls out the DeploymentConfig mounting it; one no DC uses rolls out nothing', async () => {
    const cm = (await t.store.get<BerthObject<any>>({ kind: 'ConfigMap', project: P, name: 'app' }))!;
    await t.store.update({ ...cm, spec: { data: { MODE: 'b' } } });
    await ctl.reconcile({ kind: 'ConfigMap', project: P, name: 'app' });
    expect((await rcsOf('files')).map((r) => r.metadata.name)).toEqual(['files-1', 'files-2']);
    const unused = (await t.store.get<BerthObject<any>>({ kind: 'ConfigMap', project: P, name: 'unused' }))!;
    await t.store.update({ ...unused, spec: { data: { X: '2' } } });
    await ctl.reconcile({ kind: 'ConfigMap', project: P, name: 'unused' });
    expect(await rcsOf('web')).toHaveLength(2);
    expect(await rcsOf('files')).toHaveLength(2);
  });

  it('a DeploymentConfig that uses no Secret or ConfigMap keeps its template as it was (no annotation)', async () => {
    await createDc('plain', { env: [{ name: 'A', value: '1' }] });
    const [rc] = await rcsOf('plain');
    expect(rc!.spec.template.metadata.annotations).toBeUndefined();
    await ctl.reconcile({ kind: 'DeploymentConfig', project: P, name: 'plain' });
    expect(await rcsOf('plain')).toHaveLength(1);
  });
});
