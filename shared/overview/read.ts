// Reads what a project's overview shows: one query a kind, all in parallel, and the quota counter
// once. The caller has checked, once, that the reader may list the project's applications: every
// role may (and may read its quota), so what is read here is all theirs to see.
import type { BerthObject } from '../model/types.ts';
import { withQuotaStatus } from '../quota/status.ts';
import type { ObjectStore } from '../store/ports.ts';
import { readAll } from '../api/watch-route.ts';
import { OVERVIEW_SHOWN } from './shown.ts';
import { overviewApps, overviewQuotas, type OverviewObjects, type RouterPorts } from './join.ts';
import type { ProjectOverview } from './types.ts';

type Read = Record<keyof typeof OVERVIEW_SHOWN, BerthObject[]>;

/** Every object of the shown kinds in `project`, by kind. */
export async function readShown(store: ObjectStore, project: string): Promise<Read> {
  const entries = Object.entries(OVERVIEW_SHOWN) as [keyof typeof OVERVIEW_SHOWN, string][];
  const lists = await Promise.all(entries.map(([, kind]) => readAll(store, kind, project, undefined)));
  return Object.fromEntries(entries.map(([key], i) => [key, lists[i]!])) as Read;
}

/**
 * The read as one list for a watch cursor (api/watch.ts tells changes by name, so each name is
 * made unique across kinds: `Pod/web-1-x`).
 */
export const asOneList = (read: Read): BerthObject[] =>
  (Object.entries(read) as [keyof typeof OVERVIEW_SHOWN, BerthObject[]][]).flatMap(([key, items]) => items.map((o) => ({ ...o, metadata: { ...o.metadata, name: `${OVERVIEW_SHOWN[key]}/${o.metadata.name}` } })));

/** The overview of a read (the quota's use read from the project's counter now). */
export async function overviewOf(store: ObjectStore, project: string, read: Read, ports: RouterPorts, resourceVersion: string): Promise<ProjectOverview> {
  const quotas = await withQuotaStatus(read.quotas, (p) => store.usage(p));
  const objects: OverviewObjects = { ...read, quotas };
  return { apiVersion: 'v1', kind: 'ProjectOverview', metadata: { project, resourceVersion }, apps: overviewApps(objects, ports), quotas: overviewQuotas(quotas) };
}
