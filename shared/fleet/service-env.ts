// What a pod learns of its project's Services when it starts (pure): Kubernetes' variables
// `<SERVICE>_SERVICE_HOST` (the cluster IP), `<SERVICE>_SERVICE_PORT` (the Service's first port),
// `_SERVICE_PORT_<NAME>` per named port, and the Docker-link style `<SERVICE>_PORT`,
// `<SERVICE>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}`, as the kubelet writes them. The names
// `<service>` and `<service>.<project>.svc` lead to the same address: the Service's proxy
// (services/proxy-config.ts) holds it on the project's network.
import type { Service } from '../model/objects.ts';

/** `my-db` → `MY_DB`, as Kubernetes names a Service's variables. */
export const envPrefixOf = (service: string): string => service.toUpperCase().replace(/-/g, '_');

/** The name a Service is reached by from its project's pods. */
export const serviceHostName = (service: string, project: string): string => `${service}.${project}.svc`;

/**
 * The port the pods of a Service's `i`th port listen on: its target port, or for a named one the
 * number its first ready endpoint resolved it to (the Service's own port while none is ready).
 */
export function podPortOf(s: Service, i: number): number {
  const x = s.spec.ports[i]!;
  if (typeof x.targetPort === 'number') return x.targetPort;
  if (x.targetPort === undefined) return x.port;
  return s.status?.endpoints?.find((e) => e.ports[i]?.targetPort !== undefined)?.ports[i]?.targetPort ?? x.port;
}

/**
 * The variables of every Service of the project that has its address (a Service being deleted
 * or made before addresses were allocated has none and gets no variables). With `byName` (on
 * AWS, where a Service's name is answered with its proxy's address, shared/aws/service-proxy-task.ts,
 * and no proxy holds the cluster IP), the host is the Service's name; the ports are the
 * Service's own either way.
 * @example serviceEnv([db]) // DB_SERVICE_HOST=10.1.2.64, DB_SERVICE_PORT=5432, DB_PORT=tcp://10.1.2.64:5432, …
 * @example serviceEnv([db], { byName: true }) // DB_SERVICE_HOST=db.demo.svc, DB_SERVICE_PORT=5432, …
 */
export function serviceEnv(services: Service[], opts: { byName?: boolean } = {}): { name: string; value: string }[] {
  const env: { name: string; value: string }[] = [];
  for (const s of [...services].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const host = opts.byName ? serviceHostName(s.metadata.name, s.metadata.project) : s.spec?.clusterIP;
    if (s.metadata.deletionTimestamp || !host || !s.spec.ports?.length) continue;
    const p = envPrefixOf(s.metadata.name);
    const ports = s.spec.ports.map((x) => ({ ...x, proto: x.protocol ?? 'TCP' }));
    const first = ports[0]!;
    env.push({ name: `${p}_SERVICE_HOST`, value: host }, { name: `${p}_SERVICE_PORT`, value: String(first.port) });
    for (const x of ports) if (x.name) env.push({ name: `${p}_SERVICE_PORT_${envPrefixOf(x.name)}`, value: String(x.port) });
    env.push({ name: `${p}_PORT`, value: `${first.proto.toLowerCase()}://${host}:${first.port}` });
    for (const x of ports) {
      const base = `${p}_PORT_${x.port}_${x.proto}`;
      env.push(
        { name: base, value: `${x.proto.toLowerCase()}://${host}:${x.port}` },
        { name: `${base}_PROTO`, value: x.proto.toLowerCase() },
        { name: `${base}_PORT`, value: String(x.port) },
        { name: `${base}_ADDR`, value: host },
      );
    }
  }
  return env;
}
