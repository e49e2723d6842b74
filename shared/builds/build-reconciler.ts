// The build reconciler: launches a builder agent for each new Build (honouring run policies),
// and finishes builds that were cancelled, ran past their deadline or lost their agent; then
// keeps each BuildConfig's history within its limits.
import { randomUUID } from 'node:crypto';
import { NotFoundError, ignoring } from '../errors.ts';
import type { ObjectRef } from '../model/types.ts';
import { refOf } from '../model/types.ts';
import { collect, eachObject, eachOfKind } from '../store/each.ts';
import type { Reconciler, Result } from '../reconcile/types.ts';
import { patchStatus } from '../store/patch.ts';
import type { ObjectStore } from '../store/ports.ts';
import { BUILDCONFIG_LABEL, type Build, type BuildConfig } from './instantiate.ts';
import { buildsToPrune, isTerminal, planBuild, type BuildAction } from './plan.ts';
import type { BuildLauncher, BuildLogs, SourceArchives } from './ports.ts';

export interface BuildReconcilerDeps {
  store: ObjectStore;
  launcher: BuildLauncher;
  logs: BuildLogs;
  sources: SourceArchives;
  now?: () => number;
}

export function buildReconciler(deps: BuildReconcilerDeps): Reconciler {
  const { store, launcher } = deps;
  const now = deps.now ?? Date.now;

  async function siblingsOf(b: Build): Promise<Build[]> {
    const bc = b.metadata.labels[BUILDCONFIG_LABEL];
    if (!bc) return [];
    return collect(eachObject<Build>(store, 'Build', b.metadata.project, { [BUILDCONFIG_LABEL]: bc }));
  }

  async function launch(ref: ObjectRef): Promise<void> {
    const attempt = randomUUID();
    // The build starts when its agent is launched (as an OpenShift build starts with its pod):
    // the duration covers the agent's start, the source and the push, not only the S2I steps.
    const startTimestamp = new Date(now()).toISOString();
    const claimed = await patchStatus<Build>(store, ref, (b) => ((b.status.phase ?? 'New') === 'New' && !b.spec.cancelled ? { ...b.status, phase: 'Pending', attempt, startTimestamp } : undefined));
    if (!claimed) return;
    const agent = await launcher.launch(ref);
    const recorded = await patchStatus<Build>(store, ref, (b) => (b.status.attempt === attempt && !isTerminal(b) ? { ...b.status, agent } : undefined));
    if (!recorded) await launcher.stop(agent);
  }

  async function finish(ref: ObjectRef, b: Build, a: Extract<BuildAction, { type: 'finish' }>): Promise<void> {
    if (a.stopAgent && b.status.agent) await launcher.stop(b.status.agent);
    const end = now();
    await patchStatus<Build>(store, ref, (cur) => {
      if (isTerminal(cur)) return undefined;
      const start = Date.parse(cur.status.startTimestamp ?? cur.metadata.creationTimestamp);
      return { ...cur.status, phase: a.phase, reason: a.reason, message: a.message, completionTimestamp: new Date(end).toISOString(), duration: Math.max(0, end - start) };
    });
  }

  async function prune(b: Build, siblings: Build[]): Promise<void> {
    const bcName = b.metadata.labels[BUILDCONFIG_LABEL];
    if (!bcName) return;
    const bc = await store.get<BuildConfig>({ kind: 'BuildConfig', project: b.metadata.project, name: bcName });
    const limits = bc ? [bc.spec.successfulBuildsHistoryLimit, bc.spec.failedBuildsHistoryLimit] : [5, 5];
    for (const old of buildsToPrune([b, ...siblings.filter((s) => s.metadata.name !== b.metadata.name)], limits[0]!, limits[1]!)) {
      await store.delete(refOf(old)).catch(ignoring(NotFoundError));
      await deps.logs.delete(refOf(old));
      await deps.sources.delete(refOf(old));
    }
  }

  return {
    name: 'builds',
    kinds: ['Build'],
    async reconcile(ref: ObjectRef): Promise<Result> {
      const b = await store.get<Build>(ref);
      if (!b) {
        await deps.logs.delete(ref);
        await deps.sources.delete(ref);
        return {};
      }
      const siblings = (await siblingsOf(b)).filter((s) => s.metadata.name !== b.metadata.name);
      if (isTerminal(b)) {
        await prune(b, siblings);
        return {};
      }
      const bcName = b.metadata.labels[BUILDCONFIG_LABEL];
      const bc = bcName ? await store.get<BuildConfig>({ kind: 'BuildConfig', project: ref.project, name: bcName }) : undefined;
      const agentAlive = b.status.agent && b.status.phase !== 'New' ? await launcher.running(b.status.agent) : undefined;
      let result: Result = {};
      for (const action of planBuild({ build: b, siblings, runPolicy: bc?.spec.runPolicy ?? 'Serial', agentAlive, now: now() })) {
        if (action.type === 'launch') {
          await launch(ref);
          result = { requeueAfter: 2000 };
        } else if (action.type === 'finish') {
          await finish(ref, b, action);
          result = { requeueAfter: 0 };
        } else {
          result = { requeueAfter: action.afterMs };
        }
      }
      return result;
    },
    async *resync() {
      for await (const b of eachOfKind<Build>(store, 'Build')) if (!isTerminal(b)) yield refOf(b);
    },
  };
}
