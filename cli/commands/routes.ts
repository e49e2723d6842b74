// expose svc/NAME, create route edge|passthrough|reencrypt NAME and the `get routes` columns:
// making apps reachable from outside, after `oc expose` and `oc create route`.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Argument, Option, type Command } from 'commander';
import type { ApiClient, ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { projectOption } from '../options.ts';
import { collectionPath, objectPath, resource } from '../resources.ts';
import { routeUrl, routerPorts, type RouterPorts } from '../route-url.ts';

const routeRef = (name: string) => `route.route.berth.io/${name}`;

interface Column {
  header: string;
  value(o: ApiObject, now: number): string;
}

const admitted = (o: ApiObject): string => {
  const c = ((o.status?.ingress ?? []) as { conditions?: { type: string; status: string; reason?: string }[] }[])[0]?.conditions?.find((x) => x.type === 'Admitted');
  if (!c) return 'Pending';
  return c.status === 'True' ? 'True' : `False (${c.reason ?? 'unknown'})`;
};

const services = (o: ApiObject): string => {
  const all = [o.spec?.to, ...(o.spec?.alternateBackends ?? [])].filter(Boolean) as { name: string; weight?: number }[];
  if (all.length === 1) return all[0]!.name;
  const total = all.reduce((n, b) => n + (b.weight ?? 100), 0) || 1;
  return all.map((b) => `${b.name}(${Math.round(((b.weight ?? 100) * 100) / total)}%)`).join(',');
};

/** The columns `berth get routes` prints, as oc's (plus whether the route is admitted). */
export const ROUTE_COLUMNS: Record<string, Column[]> = {
  Route: [
    { header: 'HOST/PORT', value: (o) => o.spec?.host || '<pending>' },
    { header: 'PATH', value: (o) => o.spec?.path ?? '' },
    { header: 'SERVICES', value: services },
    { header: 'PORT', value: (o) => (o.spec?.port?.targetPort === undefined ? '<all>' : String(o.spec.port.targetPort)) },
    { header: 'TERMINATION', value: (o) => (o.spec?.tls ? `${o.spec.tls.termination}${o.spec.tls.insecureEdgeTerminationPolicy && o.spec.tls.insecureEdgeTerminationPolicy !== 'None' ? `/${o.spec.tls.insecureEdgeTerminationPolicy}` : ''}` : '') },
    { header: 'ADMITTED', value: admitted },
  ],
};

/** `svc/web`, `service/web` or a bare name → the service's name. */
export function serviceTarget(arg: string): string {
  const at = arg.indexOf('/');
  if (at < 0 && arg) return arg;
  let kind: string | undefined;
  try {
    kind = resource(arg.slice(0, at)).kind;
  } catch {
    kind = undefined;
  }
  const name = arg.slice(at + 1);
  if (kind !== 'Service' || !name) throw new CliError(`"${arg}" does not name a service`, 'give svc/NAME', { exitCode: EXIT_USAGE });
  return name;
}

const targetPort = (p: string | undefined) => (p === undefined ? undefined : { targetPort: /^\d+$/.test(p) ? Number(p) : p });

function readPem(file: string | undefined, flag: string): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, `give the path of a PEM file to ${flag}`, { exitCode: EXIT_USAGE });
  }
}

async function ensureService(client: ApiClient, project: string, name: string): Promise<void> {
  try {
    await client.get(objectPath(resource('Service'), project, name));
  } catch (err) {
    if (err instanceof CliError && err.status === 404) throw err.withHint(`list them with \`berth get svc -n ${project}\``);
    throw err;
  }
}

/** Creates the route, then waits briefly for admission to fill in its host (generated hosts). */
async function createRoute(client: ApiClient, project: string, name: string, spec: Record<string, unknown>): Promise<ApiObject> {
  let route = await client.post<ApiObject>(collectionPath(resource('Route'), project), { metadata: { name }, spec });
  for (let i = 0; i < 20 && !route.spec?.host; i++) {
    await sleep(150);
    route = await client.get<ApiObject>(objectPath(resource('Route'), project, name));
  }
  return route;
}

function exposedAt(route: ApiObject, ports: RouterPorts): string {
  const url = routeUrl(route, ports);
  if (!url) return `${routeRef(route.metadata.name)} created; its host name is being assigned (see \`berth get routes\`)`;
  return `${routeRef(route.metadata.name)} exposed at ${url}`;
}

export function registerRouteCommands(program: Command, ctx: Context): void {
  program
    .command('expose')
    .description('make a service reachable from outside through the routers, at a host name')
    .argument('<svc/NAME>', 'the service to expose')
    .option('--hostname <host>', 'the public host name (default: <name>-<project>.<apps domain>)')
    .option('--path <path>', 'only requests under this path (starts with "/")')
    .option('--port <port>', "the service port (number or name) to send traffic to (default: the service's first)")
    .option('--name <name>', 'the route name (default: the service name)')
    .addOption(new Option('--wildcard-policy <policy>', 'Subdomain: --hostname *.DOMAIN serves the hosts one label below DOMAIN that no route names').choices(['None', 'Subdomain']))
    .addOption(projectOption())
    .action(async (arg: string, opts: { hostname?: string; path?: string; port?: string; name?: string; wildcardPolicy?: string; project?: string }) => {
      const svc = serviceTarget(arg);
      const project = ctx.project(opts.project);
      const client = ctx.client();
      await ensureService(client, project, svc);
      const route = await createRoute(client, project, opts.name ?? svc, {
        host: opts.hostname ?? '',
        path: opts.path,
        to: { kind: 'Service', name: svc, weight: 100 },
        port: targetPort(opts.port),
        wildcardPolicy: opts.wildcardPolicy,
      });
      ctx.out(exposedAt(route, await routerPorts(client)));
    });

  const create = program.command('create').description('create an object of a kind that needs more than a name');
  create
    .command('route')
    .description('create a TLS route: edge (the router terminates TLS), passthrough (the app does), reencrypt (both)')
    .addArgument(new Argument('<TERMINATION>', 'edge, passthrough or reencrypt').choices(['edge', 'passthrough', 'reencrypt']))
    .argument('<NAME>', 'the route name')
    .requiredOption('--service <name>', 'the service the route sends traffic to')
    .option('--hostname <host>', 'the public host name (default: <name>-<project>.<apps domain>)')
    .option('--path <path>', 'only requests under this path (not for passthrough)')
    .option('--port <port>', 'the service port (number or name)')
    .option('--cert <file>', 'PEM certificate served for the host (edge, reencrypt)')
    .option('--key <file>', 'PEM private key of the certificate')
    .option('--ca-cert <file>', 'PEM certificate chain of the CA that signed the certificate')
    .option('--dest-ca-cert <file>', "reencrypt: PEM CA certificate the pods' certificates are checked against")
    .addOption(new Option('--insecure-policy <policy>', 'what plain HTTP gets').choices(['None', 'Allow', 'Redirect']))
    .addOption(new Option('--wildcard-policy <policy>', 'Subdomain: --hostname *.DOMAIN serves the hosts one label below DOMAIN that no route names').choices(['None', 'Subdomain']))
    .addOption(projectOption())
    .action(async (termination: string, name: string, opts: { service: string; hostname?: string; path?: string; port?: string; cert?: string; key?: string; caCert?: string; destCaCert?: string; insecurePolicy?: string; wildcardPolicy?: string; project?: string }) => {
      const project = ctx.project(opts.project);
      const client = ctx.client();
      await ensureService(client, project, opts.service);
      const tls = {
        termination,
        certificate: readPem(opts.cert, '--cert'),
        key: readPem(opts.key, '--key'),
        caCertificate: readPem(opts.caCert, '--ca-cert'),
        destinationCACertificate: readPem(opts.destCaCert, '--dest-ca-cert'),
        insecureEdgeTerminationPolicy: opts.insecurePolicy,
      };
      const route = await createRoute(client, project, name, {
        host: opts.hostname ?? '',
        path: opts.path,
        to: { kind: 'Service', name: opts.service, weight: 100 },
        port: targetPort(opts.port),
        tls,
        wildcardPolicy: opts.wildcardPolicy,
      });
      ctx.out(exposedAt(route, await routerPorts(client)));
    });
}
