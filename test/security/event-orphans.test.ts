// Attack: a stranger makes a project under the name of one its owner has just deleted, hoping
// to read the old project's Events (object names, hosts, rollout messages). Events are written
// without a transaction with their project's check (shared/events/record.ts), so the race is
// forced here: between the Event's write and its project's read, the owner deletes the project
// through the API, its finalizer empties and removes it, and the stranger makes "shop" again.
import { beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../shared/errors.ts';
import { recordEvent } from '../../shared/events/record.ts';
import type { NewObject } from '../../shared/model/types.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import { projectFinalizer } from '../../shared/project/finalizer.ts';
import { testApi, type TestApi } from '../support/api.ts';

let api: TestApi;
let owner: string;
let stranger: string;

beforeAll(async () => {
  api = await testApi();
  owner = await api.user('owner');
  stranger = await api.user('stranger');
});

/** The store, with the owner's deletion and the stranger's new project run right after each Event's write. */
function racing(store: ObjectStore, race: () => Promise<void>): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'create') return Reflect.get(target, prop, receiver);
      return async (obj: NewObject, opts?: { uncheckedProject?: boolean }) => {
        const made = await target.create(obj, opts);
        if (obj.kind === 'Event') await race();
        return made;
      };
    },
  });
}

describe('Events of a deleted project', () => {
  it('an Event written as its project is deleted and made again by a stranger is not the stranger\'s to read', async () => {
    expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'shop' } })).status).toBe(201);
    const finalizer = projectFinalizer(api.store);
    const store = racing(api.store, async () => {
      expect((await api.call('DELETE', '/api/v1/projects/shop', owner)).status).toBeLessThan(300);
      for (let i = 0; i < 20 && (await api.store.get({ kind: 'Project', project: '', name: 'shop' })); i++) await finalizer.reconcile({ kind: 'Project', project: '', name: 'shop' });
      expect((await api.call('POST', '/api/v1/projects', stranger, { metadata: { name: 'shop' } })).status).toBe(201);
    });
    await expect(recordEvent(store, { kind: 'DeploymentConfig', project: 'shop', name: 'web' }, { type: 'Normal', reason: 'DeploymentCreated', message: 'Created new replication controller "web-7" on host tenant-3' }, Date.now()))
      .rejects.toThrow(NotFoundError);
    const seen = await api.call('GET', '/api/v1/projects/shop/events', stranger);
    expect(seen.status).toBe(200);
    expect(seen.body.items).toEqual([]);
    expect((await api.store.list('Event', 'shop')).items).toEqual([]);
  });

  it('an Event recorded into a live project stays, for its owner to read', async () => {
    expect((await api.call('POST', '/api/v1/projects', owner, { metadata: { name: 'kept' } })).status).toBe(201);
    await recordEvent(api.store, { kind: 'DeploymentConfig', project: 'kept', name: 'web' }, { type: 'Normal', reason: 'DeploymentCreated', message: 'rollout' }, Date.now());
    const seen = await api.call('GET', '/api/v1/projects/kept/events', owner);
    expect(seen.body.items.map((e: { spec: { reason: string } }) => e.spec.reason)).toEqual(['DeploymentCreated']);
    expect((await api.call('GET', '/api/v1/projects/kept/events', stranger)).status).toBe(403);
  });
});
