// A claim's data on a shared file system (EFS on AWS) goes with the claim. Through the API on
// DynamoDB Local, with the claim reconciler and the claims-data reconciler over a real directory
// tree laid out as the claims file system's /berth: the storage below stands for EFS access
// points as EFS behaves (the directory is made for the claim; deleting the access point leaves
// the directory and its files), so only the wipe can take the data away.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_FINALIZER } from '../../shared/model/volume-kinds.ts';
import { CLAIM_DATA_FINALIZER, claimDataPath, claimDataReconciler, wipeUnder } from '../../shared/volumes/claim-data.ts';
import { claimReconciler } from '../../shared/volumes/claim-reconciler.ts';
import type { ClaimRequest, ClaimStorage } from '../../shared/volumes/ports.ts';
import { testApi, type TestApi } from '../support/api.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-claim-data-'));
/** Access points as EFS keeps them: a directory per claim; removing the access point leaves the directory. */
const accessPoints = new Map<string, string>();
const storage: ClaimStorage = {
  async provision(c: ClaimRequest) {
    const volumeName = `fsap-${c.uid.replace(/-/g, '').slice(0, 17)}`;
    const dir = claimDataPath(root, c);
    mkdirSync(dir, { recursive: true });
    accessPoints.set(volumeName, dir);
    return { volumeName };
  },
  async remove(volumeName: string) {
    accessPoints.delete(volumeName);
  },
};

let api: TestApi;
let alice: string;
let bob: string;
const P = 'claim-data';
const Q = 'claim-data-other';
const claim = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } });
const claims = () => claimReconciler(api.store, storage, { alsoFinalizers: [CLAIM_DATA_FINALIZER] });
const data = () => claimDataReconciler(api.store, wipeUnder(root));
const ref = (project: string, name: string) => ({ kind: 'PersistentVolumeClaim', project, name });

beforeAll(async () => {
  api = await testApi();
  alice = await api.user('alice');
  bob = await api.user('bob');
  expect((await api.call('POST', '/api/v1/projects', alice, { metadata: { name: P } })).status).toBe(201);
  expect((await api.call('POST', '/api/v1/projects', bob, { metadata: { name: Q } })).status).toBe(201);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('claim data on a shared file system', () => {
  it('a claim gets both finalizers before its storage, and its data is wiped only after its access point is gone, then the claim goes', async () => {
    expect((await api.call('POST', `/api/v1/projects/${P}/persistentvolumeclaims`, alice, claim('db'))).status).toBe(201);
    expect((await api.call('POST', `/api/v1/projects/${Q}/persistentvolumeclaims`, bob, claim('db'))).status).toBe(201);
    await claims().reconcile(ref(P, 'db'));
    await claims().reconcile(ref(Q, 'db'));
    const mine = (await api.store.get<any>(ref(P, 'db')))!;
    expect(mine.metadata.finalizers).toEqual([CLAIM_FINALIZER, CLAIM_DATA_FINALIZER]);
    const dir = claimDataPath(root, { project: P, name: 'db', uid: mine.metadata.uid });
    const other = claimDataPath(root, { project: Q, name: 'db', uid: (await api.store.get<any>(ref(Q, 'db')))!.metadata.uid });
    writeFileSync(join(dir, 'rows'), 'alice\'s rows');
    writeFileSync(join(other, 'rows'), 'bob\'s rows');

    // While the claim is live, the data reconciler leaves it be.
    await data().reconcile(ref(P, 'db'));
    expect(readFileSync(join(dir, 'rows'), 'utf8')).toBe('alice\'s rows');

    expect((await api.call('DELETE', `/api/v1/projects/${P}/persistentvolumeclaims/db`, alice)).status).toBeLessThan(300);
    // The access point still there: no wipe yet.
    await data().reconcile(ref(P, 'db'));
    expect(existsSync(join(dir, 'rows'))).toBe(true);
    // The provisioner removes the access point; the directory stays, as EFS leaves it.
    await claims().reconcile(ref(P, 'db'));
    expect(accessPoints.has(mine.status.volumeName)).toBe(false);
    expect(existsSync(join(dir, 'rows'))).toBe(true);
    expect((await api.store.get<any>(ref(P, 'db')))!.metadata.finalizers).toEqual([CLAIM_DATA_FINALIZER]);
    // The resync finds it, the wipe takes the directory, and the claim goes.
    const found: unknown[] = [];
    for await (const r of data().resync!()) found.push(r);
    expect(found).toEqual([ref(P, 'db')]);
    await data().reconcile(ref(P, 'db'));
    expect(existsSync(dir)).toBe(false);
    expect(await api.store.get(ref(P, 'db'))).toBeUndefined();
    // Another project's claim of the same name, and its data, are untouched.
    expect(readFileSync(join(other, 'rows'), 'utf8')).toBe('bob\'s rows');
    expect((await api.store.get<any>(ref(Q, 'db')))!.metadata.finalizers).toEqual([CLAIM_FINALIZER, CLAIM_DATA_FINALIZER]);
  });

  it.each([
    ['a project name that climbs out', { project: '..', name: 'db', uid: '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7' }],
    ['a claim name with a slash', { project: 'shop', name: 'db/../../x', uid: '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7' }],
    ['a uid that is a path', { project: 'shop', name: 'db', uid: '../../../etc' }],
  ])('never wipes outside the claims root: refuses %s', async (_what, c) => {
    expect(() => claimDataPath(root, c)).toThrow(/not a claim's directory/);
    await expect(wipeUnder(root)(c)).rejects.toThrow(/not a claim's directory/);
  });
});
