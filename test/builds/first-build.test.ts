// A BuildConfig's first build (ConfigChange trigger) survives a build-config reconciler that dies
// at any point: between the build and the counter, or on the create itself. A re-run makes the
// missing build, or only moves the counter; never a second build. Against DynamoDB Local.
import { describe, expect, it } from 'vitest';
import { buildConfigReconciler } from '../../shared/builds/buildconfig-reconciler.ts';
import type { BuildConfig } from '../../shared/builds/instantiate.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import { freshTable } from '../support/dynamo.ts';

const spec = {
  source: { git: { uri: 'https://git.example.com/me/app.git' } },
  strategy: { type: 'Source', sourceStrategy: { from: { kind: 'ImageStreamTag', name: 'python:3.11' }, env: [], incremental: false } },
  output: { to: { kind: 'ImageStreamTag', name: 'app:latest' } },
  triggers: [{ type: 'ConfigChange' }],
  runPolicy: 'Serial',
  successfulBuildsHistoryLimit: 5,
  failedBuildsHistoryLimit: 5,
};

/** The store, except that the chosen write dies once (the process was killed there). */
function dyingOnce(store: ObjectStore, at: 'create' | 'updateStatus'): ObjectStore {
  let died = false;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const real = Reflect.get(target, prop, receiver);
      if (prop !== at || typeof real !== 'function') return typeof real === 'function' ? real.bind(target) : real;
      return async (...args: unknown[]) => {
        const obj = args[0] as { kind: string };
        if (!died && (at === 'create' ? obj.kind === 'Build' : obj.kind === 'BuildConfig')) {
          died = true;
          throw new Error('the reconciler was killed here');
        }
        return (real as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('the first build of a BuildConfig', () => {
  it.each(['create', 'updateStatus'] as const)('is made exactly once when the reconciler dies at %s', async (at) => {
    const t = await freshTable();
    await t.store.create({ kind: 'Project', metadata: { name: 'fb', project: '' }, spec: {} });
    await t.store.create({ kind: 'BuildConfig', metadata: { name: 'app', project: 'fb' }, spec });
    const ref = { kind: 'BuildConfig', project: 'fb', name: 'app' };

    await expect(buildConfigReconciler(dyingOnce(t.store, at)).reconcile(ref)).rejects.toThrow('killed');
    await buildConfigReconciler(t.store).reconcile(ref);
    await buildConfigReconciler(t.store).reconcile(ref);

    const builds = (await t.store.list('Build', 'fb')).items.map((b) => b.metadata.name);
    expect(builds).toEqual(['app-1']);
    expect((await t.store.get<BuildConfig>(ref))!.status.lastVersion).toBe(1);
  });
});
