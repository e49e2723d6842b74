// The `berth get` columns of the deployment kinds, after oc: pods (NAME READY STATUS RESTARTS
// AGE HOST), deploymentconfigs, replicationcontrollers and services.
import type { ApiObject } from './client.ts';
import { age } from './output.ts';
import { IDLED_AT, PREVIOUS_REPLICAS } from '../shared/idling/annotations.ts';

interface Column {
  header: string;
  value(o: ApiObject, now: number): string;
}

const ready = (o: ApiObject): boolean => (o.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

/** Terminating while it stops; else the reason when there is one (CrashLoopBackOff, NodeLost), else the phase. */
function podStatus(o: ApiObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const phase = o.status?.phase ?? 'Pending';
  return o.status?.reason && phase !== 'Succeeded' ? o.status.reason : phase === 'Succeeded' ? 'Completed' : phase;
}

const triggers = (o: ApiObject): string =>
  ((o.spec?.triggers ?? []) as { type: string; imageChangeParams?: { from?: { name?: string } } }[])
    .map((t) => (t.type === 'ImageChange' ? `image(${t.imageChangeParams?.from?.name ?? ''})` : 'config'))
    .join(',') || '<none>';

/** The replicas asked for; an idled DC says so, with the replicas it wakes up to. */
function desired(o: ApiObject): string {
  const a = o.metadata.annotations ?? {};
  return a[IDLED_AT] ? `${o.spec?.replicas ?? 0} (idled, wakes to ${a[PREVIOUS_REPLICAS] ?? 1})` : String(o.spec?.replicas ?? 0);
}

const agoColumn: Column = { header: 'AGE', value: (o, now) => age(o.metadata.creationTimestamp, now) };

export const DEPLOY_COLUMNS: Record<string, Column[]> = {
  Pod: [
    { header: 'READY', value: (o) => `${ready(o) ? 1 : 0}/${(o.spec?.containers ?? []).length || 1}` },
    { header: 'STATUS', value: podStatus },
    { header: 'RESTARTS', value: (o) => String(o.status?.restartCount ?? 0) },
    agoColumn,
    { header: 'HOST', value: (o) => o.spec?.host ?? '<none>' },
  ],
  DeploymentConfig: [
    { header: 'REVISION', value: (o) => String(o.status?.latestVersion ?? 0) },
    { header: 'DESIRED', value: desired },
    { header: 'CURRENT', value: (o) => String(o.status?.replicas ?? 0) },
    { header: 'TRIGGERED BY', value: triggers },
  ],
  ReplicationController: [
    { header: 'DESIRED', value: (o) => String(o.spec?.replicas ?? 0) },
    { header: 'CURRENT', value: (o) => String(o.status?.replicas ?? 0) },
    { header: 'READY', value: (o) => String(o.status?.readyReplicas ?? 0) },
    { header: 'STATUS', value: (o) => o.status?.phase ?? 'New' },
    agoColumn,
  ],
  Service: [
    // <none> on AWS, where Services are reached by name and hold no address.
    { header: 'CLUSTER-IP', value: (o) => o.spec?.clusterIP || '<none>' },
    { header: 'PORT(S)', value: (o) => ((o.spec?.ports ?? []) as { port: number; protocol?: string }[]).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') },
    { header: 'SELECTOR', value: (o) => Object.entries(o.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>' },
    agoColumn,
  ],
};
