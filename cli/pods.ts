// Which pod a command about a running app means: `pod/NAME` or `NAME` itself, `dc/NAME` a
// running pod of that deploymentconfig (the newest), as `oc rsh dc/NAME` takes it.
import type { ApiClient, ApiObject } from './client.ts';
import { CliError, EXIT_USAGE, orListHint } from './errors.ts';
import { collectionPath, objectPath, resource } from './resources.ts';

/** The deploymentconfig label pods carry (shared/model/deploy-kinds.ts DC_LABEL). */
const DC_LABEL = 'deploymentconfig';

export type PodTarget = { kind: 'Pod' | 'DeploymentConfig' | 'BuildConfig' | 'Build'; name: string };

/** Parses POD, pod/NAME, dc/NAME (and, where `also` allows, bc/NAME and build/NAME). */
export function podTarget(arg: string, also: PodTarget['kind'][] = []): PodTarget {
  const at = arg.indexOf('/');
  if (at < 0 && arg) return { kind: 'Pod', name: arg };
  const name = arg.slice(at + 1);
  let kind: string | undefined;
  try {
    kind = resource(arg.slice(0, at)).kind;
  } catch {
    kind = undefined;
  }
  const allowed = ['Pod', 'DeploymentConfig', ...also];
  if (!kind || !allowed.includes(kind) || !name || name.includes('/')) {
    throw new CliError(`"${arg}" does not name a pod`, `give POD, pod/NAME or dc/NAME${also.includes('BuildConfig') ? ' (or bc/NAME, build/NAME)' : ''}`, { exitCode: EXIT_USAGE });
  }
  return { kind: kind as PodTarget['kind'], name };
}

/** The pod's name: itself, or the newest running pod of a deploymentconfig. */
export async function resolvePod(client: ApiClient, project: string, t: PodTarget): Promise<string> {
  if (t.kind === 'Pod') return t.name;
  const r = resource('Pod');
  const { items } = await orListHint('pods', project, () => client.list(collectionPath(r, project), { labelSelector: `${DC_LABEL}=${t.name}` }));
  const running = items.filter((p: ApiObject) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
  running.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
  if (!running[0]) throw new CliError(`deploymentconfig "${t.name}" has no running pod`, `see \`berth get pods -l ${DC_LABEL}=${t.name} -n ${project}\``);
  return running[0].metadata.name;
}

export const podPath = (project: string, name: string): string => objectPath(resource('Pod'), project, name);
