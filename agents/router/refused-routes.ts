// The routes this router left out because HAProxy refused their configuration: which of the
// table's routes to serve, and which statuses to write. A refused route stays out while it is
// what was refused (its spec and annotations); a changed one, or any route marked refused when
// this router starts, is tried again.
import type { Logger } from 'pino';
import type { Route } from '../../shared/model/objects.ts';
import { isRefusedByHaproxy, routeFingerprint } from '../../shared/routing/refusals.ts';
import { markRefused, markServed } from '../../shared/routing/router-status.ts';
import { isAdmitted } from '../../shared/routing/types.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';

const key = (r: Route) => `${r.metadata.project}/${r.metadata.name}`;

export class RefusedRoutes {
  /** By `project/name`: what the route was made of, HAProxy's words, the resourceVersion its status was last written at. */
  private readonly byKey = new Map<string, { fingerprint: string; problem: string; reported?: string }>();

  get size(): number {
    return this.byKey.size;
  }

  /** Leaves `route` out while it stays as it is. */
  add(route: Route, problem: string): void {
    this.byKey.set(key(route), { fingerprint: routeFingerprint(route), problem });
  }

  /** The routes to serve (by `project/name`): admitted ones, and those HAProxy refused unless they are still what was refused. */
  wanted(routes: ReadonlyMap<string, Route>): Route[] {
    for (const k of this.byKey.keys()) if (!routes.has(k)) this.byKey.delete(k);
    const out: Route[] = [];
    for (const [k, r] of routes) {
      if (!isAdmitted(r) && !isRefusedByHaproxy(r)) continue;
      const known = this.byKey.get(k);
      if (known) {
        if (known.fingerprint === routeFingerprint(r)) continue;
        this.byKey.delete(k);
      }
      out.push(r);
    }
    return out;
  }

  /**
   * Says in the routes' status what HAProxy made of them: not admitted for those left out (once
   * per refusal, and again if admission admits the route anew), admitted again for those it
   * refused before and now serves (`served`). Failures are logged (a router without write
   * access to the table): the routes are left out either way.
   */
  async writeStatuses(store: ObjectStore, routes: ReadonlyMap<string, Route>, served: Route[], logger?: Logger): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const r of served) if (isRefusedByHaproxy(r)) writes.push(markServed(store, r));
    for (const [k, known] of this.byKey) {
      const r = routes.get(k);
      if (!r || (known.reported !== undefined && !(isAdmitted(r) && r.metadata.resourceVersion !== known.reported))) continue;
      known.reported = r.metadata.resourceVersion;
      writes.push(markRefused(store, r, known.problem));
    }
    for (const out of await Promise.allSettled(writes)) {
      if (out.status === 'rejected') logger?.warn({ err: out.reason }, "writing a route's status failed");
    }
  }
}
