// What a pod learns of its project's Services when it starts (pure): Kubernetes' variables
// `<SERVICE>_SERVICE_HOST`, `<SERVICE>_SERVICE_PORT` (and `_SERVICE_PORT_<NAME>`, the Docker-link
// style `<SERVICE>_PORT…`), and the names a pod answers to on its project's network: each Service
// whose selector takes the pod, as `<service>` and `<service>.<project>.svc`.
import type { Service } from '../model/objects.ts';

/** `my-db` → `MY_DB`, as Kubernetes names a Service's variables. */
export const envPrefixOf = (service: string): string => service.toUpperCase().replace(/-/g, '_');

/** The name a Service is reached by from its project's pods. */
export const serviceHostName = (service: string, project: string): string => `${service}.${project}.svc`;

/**
 * The variables of every Service of the project: the host is the Service's name on the project
 * network, the port the one its name leads to there (the target port: the name resolves to the
 * ready pods themselves).
 * @example serviceEnv([db], 'shop') // DB_SERVICE_HOST=db.shop.svc, DB_SERVICE_PORT=5432, DB_PORT=tcp://db.shop.svc:5432, …
 */
export function serviceEnv(services: Service[], project: string): { name: string; value: string }[] {
  const env: { name: string; value: string }[] = [];
  for (const s of [...services].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    if (s.metadata.deletionTimestamp || !s.spec?.ports?.length) continue;
    const p = envPrefixOf(s.metadata.name);
    const host = serviceHostName(s.metadata.name, project);
    const ports = s.spec.ports.map((x) => ({ ...x, at: x.targetPort ?? x.port, proto: x.protocol ?? 'TCP' }));
    env.push({ name: `${p}_SERVICE_HOST`, value: host }, { name: `${p}_SERVICE_PORT`, value: String(ports[0]!.at) });
    for (const x of ports) if (x.name) env.push({ name: `${p}_SERVICE_PORT_${envPrefixOf(x.name)}`, value: String(x.at) });
    env.push({ name: `${p}_PORT`, value: `${ports[0]!.proto.toLowerCase()}://${host}:${ports[0]!.at}` });
    for (const x of ports) {
      const base = `${p}_PORT_${x.at}_${x.proto}`;
      env.push(
        { name: base, value: `${x.proto.toLowerCase()}://${host}:${x.at}` },
        { name: `${base}_PROTO`, value: x.proto.toLowerCase() },
        { name: `${base}_PORT`, value: String(x.at) },
        { name: `${base}_ADDR`, value: host },
      );
    }
  }
  return env;
}

/** The names a pod answers to: those of every Service of its project whose selector takes it. */
export function serviceAliases(services: Service[], project: string, podLabels: Record<string, string>): string[] {
  return services
    .filter((s) => !s.metadata.deletionTimestamp && Object.entries(s.spec?.selector ?? {}).length > 0 && Object.entries(s.spec.selector).every(([k, v]) => podLabels[k] === v))
    .flatMap((s) => [s.metadata.name, serviceHostName(s.metadata.name, project)])
    .sort();
}
