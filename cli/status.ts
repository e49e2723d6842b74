// `berth status`: a project's apps at a glance, as `oc status` shows them: each app from its
// entry point (route → service → DeploymentConfig) with the DC's revision, its pods ready and the
// last build of what feeds it, then the warnings a user should act on. Pure: the command fetches
// the project's objects, this renders them.
import type { ApiObject } from './client.ts';
import { age, duration } from './output.ts';
import { routeUrl, type RouterPorts } from './route-url.ts';

export interface ProjectObjects {
  routes: ApiObject[];
  services: ApiObject[];
  dcs: ApiObject[];
  pods: ApiObject[];
  bcs: ApiObject[];
  builds: ApiObject[];
}

const BUILDCONFIG_LABEL = 'berth.io/buildconfig';
const FAILED = ['Failed', 'Error'];
/** Restarts from which a pod counts as crash-looping even between its back-offs. */
const CRASH_RESTARTS = 3;

const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const isReady = (p: ApiObject): boolean => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
const buildNumber = (b: ApiObject): number => Number(b.metadata.annotations?.['berth.io/build-number'] ?? b.metadata.name.split('-').pop());

/** The newest build of a BuildConfig. */
function lastBuild(builds: ApiObject[], bc: string): ApiObject | undefined {
  return builds.filter((b) => b.metadata.labels?.[BUILDCONFIG_LABEL] === bc).sort((a, b) => buildNumber(b) - buildNumber(a))[0];
}

/** The image stream tag a DC rolls out (from its ImageChange trigger). */
function watchedTag(dc: ApiObject): string | undefined {
  return ((dc.spec?.triggers ?? []) as { type: string; imageChangeParams?: { from?: { name?: string } } }[]).find((t) => t.type === 'ImageChange')?.imageChangeParams?.from?.name;
}

/** The BuildConfigs whose output the DC rolls out. */
function feeding(dc: ApiObject, bcs: ApiObject[]): ApiObject[] {
  const tag = watchedTag(dc);
  return tag ? bcs.filter((bc) => bc.spec?.output?.to?.name === tag) : [];
}

function buildLine(b: ApiObject, now: number): string {
  const phase = b.status?.phase ?? 'New';
  const when = b.status?.completionTimestamp ?? b.status?.startTimestamp ?? b.metadata.creationTimestamp;
  const took = b.status?.duration !== undefined ? ` in ${duration(b.status.duration)}` : '';
  const reason = FAILED.includes(phase) && b.status?.reason ? ` (${b.status.reason})` : '';
  const verb = phase === 'Complete' ? `succeeded${took}` : FAILED.includes(phase) ? `failed${reason}` : phase === 'Cancelled' ? 'was cancelled' : phase.toLowerCase();
  return `build #${buildNumber(b)} ${verb}${when ? ` ${age(when, now)} ago` : ''}`;
}

function dcLines(dc: ApiObject, o: ProjectObjects, now: number): string[] {
  const name = dc.metadata.name;
  const pods = o.pods.filter((p) => !p.metadata.deletionTimestamp && labelsMatch(dc.spec?.selector, p.metadata.labels));
  const ready = pods.filter(isReady).length;
  const tag = watchedTag(dc);
  const lines = [`dc/${name} deploys ${tag ? `istag/${tag}` : (dc.spec?.template?.spec?.containers?.[0]?.image ?? 'an image')}`];
  for (const bc of feeding(dc, o.bcs)) {
    const builder = bc.spec?.strategy?.sourceStrategy?.from?.name as string | undefined;
    const source = bc.spec?.source?.git?.uri ?? 'uploaded source';
    lines.push(`  bc/${bc.metadata.name} builds ${source} ${builder ? `on ${builder}` : 'with its Dockerfile'}`);
    const b = lastBuild(o.builds, bc.metadata.name);
    lines.push(`    ${b ? buildLine(b, now) : 'no build yet'}`);
  }
  const revision = dc.status?.latestVersion ?? 0;
  lines.push(`  ${revision ? `revision #${revision}` : 'not deployed yet'}: ${ready}/${dc.spec?.replicas ?? 0} pods ready`);
  return lines;
}

export interface StatusInput extends ProjectObjects {
  project: string;
  server: string;
  router: RouterPorts;
  now?: number;
}

/** The status text and its warnings. */
export function projectStatus(i: StatusInput): { text: string; warnings: string[] } {
  const now = i.now ?? Date.now();
  const out: string[] = [`In project ${i.project} on server ${i.server}`];
  const shownDcs = new Set<string>();
  const shownServices = new Set<string>();
  const dcsOf = (svc: ApiObject) => i.dcs.filter((dc) => labelsMatch(svc.spec?.selector, dc.spec?.template?.metadata?.labels));
  const serviceBlock = (svc: ApiObject, pad: string): string[] => {
    shownServices.add(svc.metadata.name);
    const ports = ((svc.spec?.ports ?? []) as { port: number; targetPort?: number | string }[]).map((p) => `${p.port}${p.targetPort && p.targetPort !== p.port ? `->${p.targetPort}` : ''}`).join(', ');
    const lines = [`${pad}svc/${svc.metadata.name} - ports ${ports || '<none>'}`];
    for (const dc of dcsOf(svc)) {
      shownDcs.add(dc.metadata.name);
      lines.push(...dcLines(dc, i, now).map((l) => `${pad}  ${l}`));
    }
    return lines;
  };

  for (const route of [...i.routes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const svc = i.services.find((s) => s.metadata.name === route.spec?.to?.name);
    const url = routeUrl(route, i.router) ?? `route/${route.metadata.name} (host pending)`;
    out.push('', `${url} (route/${route.metadata.name})`, ...(svc ? serviceBlock(svc, '  ') : [`  to svc/${route.spec?.to?.name}, which does not exist`]));
  }
  for (const svc of [...i.services].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    if (!shownServices.has(svc.metadata.name)) out.push('', ...serviceBlock(svc, ''));
  }
  for (const dc of i.dcs) if (!shownDcs.has(dc.metadata.name)) out.push('', ...dcLines(dc, i, now));
  if (out.length === 1) out.push('', 'You have no apps yet: make one with `berth new-app python~./src`.');
  return { text: out.join('\n'), warnings: warningsOf(i) };
}

function warningsOf(i: StatusInput): string[] {
  const warnings: string[] = [];
  for (const bc of i.bcs) {
    const b = lastBuild(i.builds, bc.metadata.name);
    if (b && FAILED.includes(b.status?.phase)) {
      warnings.push(`build/${b.metadata.name} failed${b.status?.reason ? ` (${b.status.reason})` : ''}: see \`berth logs build/${b.metadata.name}\``);
    }
  }
  for (const p of i.pods) {
    const restarts = p.status?.restartCount ?? 0;
    if (p.status?.reason === 'CrashLoopBackOff' || (restarts >= CRASH_RESTARTS && !isReady(p))) {
      warnings.push(`pod/${p.metadata.name} is crash-looping (${restarts} restarts): see \`berth logs pod/${p.metadata.name}\``);
    }
  }
  const routed = new Set(i.routes.map((r) => r.spec?.to?.name));
  for (const dc of i.dcs) {
    const svcs = i.services.filter((s) => labelsMatch(s.spec?.selector, dc.spec?.template?.metadata?.labels));
    if (!svcs.some((s) => routed.has(s.metadata.name))) {
      warnings.push(svcs.length ? `dc/${dc.metadata.name} has no route: expose it with \`berth expose svc/${svcs[0]!.metadata.name}\`` : `dc/${dc.metadata.name} has no service and no route`);
    }
  }
  for (const r of i.routes) if (!i.services.some((s) => s.metadata.name === r.spec?.to?.name)) warnings.push(`route/${r.metadata.name} sends to svc/${r.spec?.to?.name}, which does not exist`);
  return warnings;
}
