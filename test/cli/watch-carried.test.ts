// How a watch applies the objects push notices carried (cli/watch.ts applyCarried): as a watch
// answer would be, filtered by the target's label selector and name on the client.
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../cli/client.ts';
import { applyCarried } from '../../cli/watch.ts';

const PATH = '/api/v1/projects/shop/replicationcontrollers';
const rc = (name: string, rv: string, labels: Record<string, string> = { deploymentconfig: 'web' }): ApiObject => ({ kind: 'ReplicationController', metadata: { name, resourceVersion: rv, labels } });
const known = (...objects: ApiObject[]) => new Map(objects.map((o) => [o.metadata.name, o]));

describe('objects carried by notices', () => {
  it('add and change the objects the label selector picks, in the order told, and pass over a version already known', () => {
    const objects = known(rc('web-1', '100'));
    const step = applyCarried(objects, [{ path: PATH, objects: [rc('web-1', '100'), rc('web-2', '200'), rc('db-1', '300', { deploymentconfig: 'db' })], gone: [] }, { path: PATH, objects: [rc('web-2', '201')], gone: [] }], { path: PATH, labelSelector: 'deploymentconfig=web' });

    expect(step.changed).toEqual([rc('web-2', '201')]);
    expect(step.gone).toEqual([]);
    expect([...objects.keys()]).toEqual(['web-1', 'web-2']);
  });

  it('make an object gone when removed or when it no longer matches; a name removed that was never known is nothing', () => {
    const objects = known(rc('web-1', '100'), rc('web-2', '200'));
    const step = applyCarried(objects, [{ path: PATH, objects: [rc('web-2', '201', { deploymentconfig: 'other' })], gone: ['web-1', 'db-9'] }], { path: PATH, labelSelector: 'deploymentconfig=web' });

    expect(step).toEqual({ objects, changed: [], gone: ['web-2', 'web-1'] });
    expect(objects.size).toBe(0);
  });

  it('with a name, take only that object', () => {
    const objects = known();
    const step = applyCarried(objects, [{ path: PATH, objects: [rc('web-1', '1'), rc('web-2', '2')], gone: [] }], { path: PATH, name: 'web-2' });

    expect(step.changed).toEqual([rc('web-2', '2')]);
  });

  it('an object removed then made again is changed, not gone', () => {
    const objects = known(rc('web-1', '1'));
    const step = applyCarried(objects, [{ path: PATH, objects: [], gone: ['web-1'] }, { path: PATH, objects: [rc('web-1', '5')], gone: [] }], { path: PATH });

    expect(step.changed).toEqual([rc('web-1', '5')]);
    expect(step.gone).toEqual([]);
  });
});
