// What `get`, `describe` and `delete` are asked about, as `oc` takes it: `KIND [NAME...]`,
// `KIND/NAME ...`, `KIND,KIND` and `all` (the application kinds of a project). Pure.
import { CliError, EXIT_USAGE } from './errors.ts';
import { resource, type Resource } from './resources.ts';

/** What `berth get all` lists, in oc's order. */
export const ALL_KINDS = ['Pod', 'ReplicationController', 'Service', 'DeploymentConfig', 'BuildConfig', 'Build', 'ImageStream', 'Route'] as const;

export interface Target {
  r: Resource;
  /** The objects named; none means every object of the kind. */
  names: string[];
}

function kindsOf(typed: string): Resource[] {
  return typed.split(',').flatMap((t) => (t.toLowerCase() === 'all' ? ALL_KINDS.map((k) => resource(k)) : [resource(t)]));
}

/**
 * The kinds and names in `args`.
 * @example parseTargets(['dc/web', 'svc/web']) // [{ r: DeploymentConfig, names: ['web'] }, { r: Service, names: ['web'] }]
 * @example parseTargets(['dc', 'web', 'api']) // [{ r: DeploymentConfig, names: ['web', 'api'] }]
 */
export function parseTargets(args: string[]): Target[] {
  const [first, ...rest] = args;
  if (first === undefined || first === '') throw new CliError('no kind given', 'e.g. `berth get dc`, `berth get dc/web` or `berth get all`', { exitCode: EXIT_USAGE });
  if (!first.includes('/')) {
    const slashed = rest.find((n) => n.includes('/'));
    if (slashed) throw new CliError(`"${slashed}": give either KIND NAME... or KIND/NAME..., not both`, `e.g. \`berth get ${first} ${slashed.split('/').pop()}\``, { exitCode: EXIT_USAGE });
    const kinds = kindsOf(first);
    if (kinds.length > 1 && rest.length) throw new CliError(`names go with one kind, not "${first}"`, 'give KIND/NAME for each object, e.g. `berth get dc/web svc/web`', { exitCode: EXIT_USAGE });
    return kinds.map((r) => ({ r, names: rest }));
  }
  const targets: Target[] = [];
  for (const arg of args) {
    const at = arg.indexOf('/');
    const [kind, name] = [arg.slice(0, at), arg.slice(at + 1)];
    if (at <= 0 || !name || name.includes('/')) throw new CliError(`"${arg}" is not KIND/NAME`, 'e.g. dc/web or svc/web', { exitCode: EXIT_USAGE });
    const r = resource(kind);
    const same = targets.find((t) => t.r.kind === r.kind);
    if (same) same.names.push(name);
    else targets.push({ r, names: [name] });
  }
  return targets;
}

/** `kind/name` as oc prints objects of several kinds: `deploymentconfig/web`. */
export const qualified = (kind: string, name: string): string => `${kind.toLowerCase()}/${name}`;
