// The configuration of one Service's proxy (STYLE 8: pure): HAProxy in TCP mode, one frontend
// per TCP port of the Service, listening on the Service's port, and one backend of the ready
// endpoints' addresses on the project network at the target port each resolved (a named target
// port may be another number in each pod). A Service without endpoints
// closes new connections at once (as a cluster IP with no endpoints refuses them). Idle
// connections (a database client's) stay open for a day; a reload leaves them with the old
// worker until they end.
import type { Endpoint } from '../model/deploy-kinds.ts';
import type { Service } from '../model/objects.ts';

export interface ProxyBackend {
  /** The pod's name. */
  pod: string;
  /** Its address on the project network. */
  ip: string;
  /** Service port → the container port this pod serves it on (a named targetPort resolved in the pod). */
  targets: Record<number, number>;
}

export interface ProxySpec {
  project: string;
  service: string;
  clusterIP: string;
  ports: { name?: string; port: number }[];
  backends: ProxyBackend[];
}

/** The proxy of `svc`, forwarding to `backends` (pure); UDP ports are left out (HAProxy speaks TCP). */
export function proxySpecOf(svc: Service, backends: ProxyBackend[]): ProxySpec {
  return {
    project: svc.metadata.project,
    service: svc.metadata.name,
    clusterIP: svc.spec.clusterIP ?? '',
    ports: svc.spec.ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port })),
    backends: [...backends].sort((a, b) => a.pod.localeCompare(b.pod)),
  };
}

/**
 * Where an endpoint serves each port of `svc`: the target port the endpoints reconciler resolved
 * in its pod, or (endpoints recorded before it did) the Service's own numeric target port.
 */
export function endpointTargets(svc: Service, e: Endpoint): Record<number, number> {
  const targets: Record<number, number> = {};
  for (const sp of svc.spec.ports) {
    const t = e.ports.find((x) => x.port === sp.port)?.targetPort ?? (typeof sp.targetPort === 'string' ? undefined : (sp.targetPort ?? sp.port));
    if (t !== undefined) targets[sp.port] = t;
  }
  return targets;
}

/** HAProxy's defaults of a Service's proxy, here and on AWS (aws/service-proxy-task.ts): TCP, idle connections kept a day. */
export const TCP_PROXY_DEFAULTS: readonly string[] = [
  'defaults',
  '  mode tcp',
  '  timeout connect 5s',
  '  timeout client 24h',
  '  timeout server 24h',
  '  option clitcpka',
  '  option srvtcpka',
];

/**
 * HAProxy's configuration for the proxy.
 * @example renderProxyConfig({ ports: [{ port: 80 }], backends: [{ pod: 'web-1-a', ip: '10.0.0.2', targets: { 80: 8080 } }], … })
 */
export function renderProxyConfig(spec: ProxySpec): string {
  const lines = [
    `# Service ${spec.project}/${spec.service} at ${spec.clusterIP}`,
    'global',
    '  maxconn 4096',
    ...TCP_PROXY_DEFAULTS,
    // HAProxy will not start without a listener: a Service with only UDP ports still has this one.
    'frontend idle',
    '  bind unix@/tmp/berth-proxy-idle.sock',
    '  tcp-request connection reject',
  ];
  for (const p of spec.ports) {
    lines.push(`frontend port-${p.port}`, `  bind :${p.port}`, `  default_backend port-${p.port}`);
    lines.push(`backend port-${p.port}`, '  balance leastconn');
    for (const b of spec.backends) if (b.targets[p.port]) lines.push(`  server ${b.pod} ${b.ip}:${b.targets[p.port]}`);
  }
  return `${lines.join('\n')}\n`;
}
