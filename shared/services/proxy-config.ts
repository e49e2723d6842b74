// The configuration of one Service's proxy (STYLE 8: pure): HAProxy in TCP mode, one frontend
// per TCP port of the Service, listening on the Service's port, and one backend of the ready
// endpoints' addresses on the project network at the target port. A Service without endpoints
// closes new connections at once (as a cluster IP with no endpoints refuses them). Idle
// connections (a database client's) stay open for a day; a reload leaves them with the old
// worker until they end.
import type { Service } from '../model/objects.ts';

export interface ProxyBackend {
  /** The pod's name. */
  pod: string;
  /** Its address on the project network. */
  ip: string;
}

export interface ProxySpec {
  project: string;
  service: string;
  clusterIP: string;
  ports: { name?: string; port: number; targetPort: number }[];
  backends: ProxyBackend[];
}

/** The proxy of `svc`, forwarding to `backends` (pure); UDP ports are left out (HAProxy speaks TCP). */
export function proxySpecOf(svc: Service, backends: ProxyBackend[]): ProxySpec {
  return {
    project: svc.metadata.project,
    service: svc.metadata.name,
    clusterIP: svc.spec.clusterIP ?? '',
    ports: svc.spec.ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort ?? p.port })),
    backends: [...backends].sort((a, b) => a.pod.localeCompare(b.pod)),
  };
}

/**
 * HAProxy's configuration for the proxy.
 * @example renderProxyConfig({ ports: [{ port: 80, targetPort: 8080 }], backends: [{ pod: 'web-1-a', ip: '10.0.0.2' }], … })
 */
export function renderProxyConfig(spec: ProxySpec): string {
  const lines = [
    `# Service ${spec.project}/${spec.service} at ${spec.clusterIP}`,
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 24h',
    '  timeout server 24h',
    '  option clitcpka',
    '  option srvtcpka',
    // HAProxy will not start without a listener: a Service with only UDP ports still has this one.
    'frontend idle',
    '  bind unix@/tmp/berth-proxy-idle.sock',
    '  tcp-request connection reject',
  ];
  for (const p of spec.ports) {
    lines.push(`frontend port-${p.port}`, `  bind :${p.port}`, `  default_backend port-${p.port}`);
    lines.push(`backend port-${p.port}`, '  balance leastconn');
    for (const b of spec.backends) lines.push(`  server ${b.pod} ${b.ip}:${p.targetPort}`);
  }
  return `${lines.join('\n')}\n`;
}
