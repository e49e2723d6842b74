// Errors of the reconcilers' scheduled passes (the resync function: the idler, trial expiry and the
// rest; the claims function: claims' volumes) reach the logs as embedded-metric records, so that
// CloudWatch counts them in Berth/FleetLoopErrors{Loop} and the stack's alarm for that loop pages.
// Before, resyncAll only logged them: a failing idler or trial expiry counted in no metric.
// AWS documentation: "Specification: Embedded metric format" (Amazon CloudWatch User Guide): a
// log event with `_aws.CloudWatchMetrics` [{ Namespace, Dimensions, Metrics }] and the metric's
// value and each dimension as top-level members.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TerminalError } from '../../shared/errors.ts';
import { FLEET_ERRORS_METRIC, FLEET_LOOPS, FLEET_METRICS_NAMESPACE, reconcilerErrorReporter } from '../../shared/fleet/loop-errors.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import type { Reconciler } from '../../shared/reconcile/types.ts';

/** A reconciler of `name` over `refs` that fails on those named in `failing` (for good when `terminal`). */
function reconciler(name: string, refs: ObjectRef[], failing: string[], terminal = false): Reconciler {
  return {
    name,
    kinds: [refs[0]!.kind],
    async reconcile(ref) {
      if (!failing.includes(ref.name)) return {};
      throw terminal ? new TerminalError(`${ref.name} cannot be done`) : new Error(`${ref.name}: table unavailable`);
    },
    async *resync() {
      yield* refs;
    },
  };
}

const dc = (name: string): ObjectRef => ({ kind: 'DeploymentConfig', project: 'shop', name });
const project = (name: string): ObjectRef => ({ kind: 'Project', project: '', name });

describe('a reconcilers\' pass with an error reporter', () => {
  it('writes one metric record per object still failing after its retries, under the reconciler\'s loop, and goes on with the rest', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const summary = await resyncAll([
      reconciler('idler', [dc('web'), dc('api')], ['api']),
      reconciler('trial-expiry', [project('alice-trial')], ['alice-trial']),
      reconciler('volume-claim-data', [{ kind: 'PersistentVolumeClaim', project: 'shop', name: 'db' }], ['db']),
      reconciler('image-prune', [{ kind: 'ImageStream', project: 'shop', name: 'web' }], ['web']),
    ], { logger, attempts: 2, baseDelayMs: 1, onError: reconcilerErrorReporter(logger, () => new Date(1_700_000_000_000)) });

    expect(summary).toEqual({ reconciled: 1, failed: 4 });
    const records = lines.filter((l) => l[FLEET_ERRORS_METRIC] === 1);
    expect(records.map((r) => [r.Loop, r.reconciler, r.ref, r.msg])).toEqual([
      ['idler', 'idler', 'DeploymentConfig shop/api', 'idler: idler on DeploymentConfig shop/api failed: api: table unavailable'],
      ['trial-expiry', 'trial-expiry', 'Project alice-trial', 'trial-expiry: trial-expiry on Project alice-trial failed: alice-trial: table unavailable'],
      ['volume-claims', 'volume-claim-data', 'PersistentVolumeClaim shop/db', 'volume-claims: volume-claim-data on PersistentVolumeClaim shop/db failed: db: table unavailable'],
      ['reconcilers', 'image-prune', 'ImageStream shop/web', 'reconcilers: image-prune on ImageStream shop/web failed: web: table unavailable'],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({
        level: 50,
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: FLEET_METRICS_NAMESPACE, Dimensions: [['Loop']], Metrics: [{ Name: FLEET_ERRORS_METRIC, Unit: 'Count' }] }] },
      });
      // Every loop a record names has its alarm (the stack makes one per FLEET_LOOPS entry).
      expect(FLEET_LOOPS).toContain(r.Loop);
    }
  });

  it('counts no TerminalError: it is recorded on the object and is not the platform failing', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const summary = await resyncAll([reconciler('idler', [dc('web')], ['web'], true)], { logger, attempts: 2, baseDelayMs: 1, onError: reconcilerErrorReporter(logger) });
    expect(summary).toEqual({ reconciled: 0, failed: 1 });
    expect(lines.map((l) => l.msg)).toEqual(['reconcile failed for good']);
    expect(lines.filter((l) => l[FLEET_ERRORS_METRIC] === 1)).toEqual([]);
  });
});
