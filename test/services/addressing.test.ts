// The pure parts of Services' addresses and proxies: each project's /25 and its halves, the
// Service range, the requested-address check, the cluster IP kept on replace, the variables a
// pod gets (Kubernetes' rules), and the proxy's HAProxy configuration.
import { describe, expect, it } from 'vitest';
import { candidateIPs, checkRequestedIP, ipNumber, isServiceIP, projectAddressing, serviceIPs } from '../../shared/services/addressing.ts';
import { keepClusterIP } from '../../shared/services/cluster-ips.ts';
import { proxySpecOf, renderProxyConfig } from '../../shared/services/proxy-config.ts';
import { serviceEnv } from '../../shared/fleet/service-env.ts';
import { desiredProxies } from '../../shared/fleet/service-proxy-sync.ts';
import type { Service } from '../../shared/model/objects.ts';

const svc = (name: string, spec: Partial<Service['spec']>, endpoints: { pod: string }[] = []): Service =>
  ({ kind: 'Service', metadata: { name, project: 'shop' }, spec: { selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], ...spec }, status: { endpoints: endpoints.map((e) => ({ ...e, host: 'h', ip: '127.0.0.1', ports: [] })) } }) as unknown as Service;

describe("a project's addresses", () => {
  it.each([
    [0, 0, '10.0.0.0/25', '10.0.0.1', '10.0.0.0/26', '10.0.0.64', '10.0.0.126'],
    [1, 0, '10.0.0.128/25', '10.0.0.129', '10.0.0.128/26', '10.0.0.192', '10.0.0.254'],
    [12, 3, '10.0.7.128/25', '10.0.7.129', '10.0.7.128/26', '10.0.7.192', '10.0.7.254'],
    // The pool wraps at 65,536 /25s: 10.0.0.0/9, never 10.128.0.0 and beyond (the engines' own pools).
    [65_535, 0, '10.127.255.128/25', '10.127.255.129', '10.127.255.128/26', '10.127.255.192', '10.127.255.254'],
    [65_536, 0, '10.0.0.0/25', '10.0.0.1', '10.0.0.0/26', '10.0.0.64', '10.0.0.126'],
  ])('block %i with salt %i: subnet %s, gateway %s, pods in %s, Services %s to %s', (block, salt, subnet, gateway, ipRange, first, last) => {
    expect(projectAddressing(block, salt)).toEqual({ subnet, gateway, ipRange, firstServiceIP: first, lastServiceIP: last });
  });

  it('gives Services 63 addresses, none of them in the pods\' half', () => {
    const a = projectAddressing(5, 9);
    const ips = serviceIPs(a);
    expect(ips).toHaveLength(63);
    const base = ipNumber(a.subnet.split('/')[0]!)!;
    for (const ip of ips) expect(ipNumber(ip)! - base).toBeGreaterThanOrEqual(64);
    expect(new Set(candidateIPs(a, 'db'))).toEqual(new Set(ips));
    expect(candidateIPs(a, 'db')[0]).not.toBe(candidateIPs(a, 'redis')[0]);
  });

  it.each(['10.0.0.5', '10.0.0.127', '10.0.1.70', '192.168.0.70', 'nonsense'])('refuses %s as a cluster IP of block 0 (422 naming spec.clusterIP)', (ip) => {
    const a = projectAddressing(0, 0);
    expect(isServiceIP(a, ip)).toBe(false);
    expect(() => checkRequestedIP(a, ip)).toThrow(expect.objectContaining({ status: 422, details: [expect.objectContaining({ field: 'spec.clusterIP' })] }));
  });

  it('keeps the cluster IP on replace: left out or empty it stays, another is 422', () => {
    const stored = { selector: { a: 'b' }, ports: [{ port: 80, protocol: 'TCP' as const }], clusterIP: '10.0.0.70' };
    expect(keepClusterIP(stored, { ...stored, clusterIP: undefined }).clusterIP).toBe('10.0.0.70');
    expect(keepClusterIP(stored, { ...stored, clusterIP: '' }).clusterIP).toBe('10.0.0.70');
    expect(() => keepClusterIP(stored, { ...stored, clusterIP: '10.0.0.71' })).toThrow(/spec.clusterIP: is immutable/);
  });
});

describe("a pod's Service variables", () => {
  it("follow Kubernetes' rules: the cluster IP, the Service's ports, named ports, the Docker-link style", () => {
    const env = serviceEnv([svc('my-db', { clusterIP: '10.0.0.70', ports: [{ name: 'pg', port: 5432, targetPort: 8080, protocol: 'TCP' }, { port: 9187, protocol: 'TCP' }] })]);
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toEqual({
      MY_DB_SERVICE_HOST: '10.0.0.70',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_PG: '5432',
      MY_DB_PORT: 'tcp://10.0.0.70:5432',
      MY_DB_PORT_5432_TCP: 'tcp://10.0.0.70:5432',
      MY_DB_PORT_5432_TCP_PROTO: 'tcp',
      MY_DB_PORT_5432_TCP_PORT: '5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.0.0.70',
      MY_DB_PORT_9187_TCP: 'tcp://10.0.0.70:9187',
      MY_DB_PORT_9187_TCP_PROTO: 'tcp',
      MY_DB_PORT_9187_TCP_PORT: '9187',
      MY_DB_PORT_9187_TCP_ADDR: '10.0.0.70',
    });
  });

  it('leave out Services without an address or being deleted', () => {
    const deleting = svc('old', { clusterIP: '10.0.0.71' });
    deleting.metadata.deletionTimestamp = new Date().toISOString();
    expect(serviceEnv([svc('new', {}), deleting])).toEqual([]);
  });

  it('by name (AWS, Cloud Map and the Service\'s proxy): the Service\'s name and its own ports, with or without a cluster IP', () => {
    const env = serviceEnv([svc('my-db', { ports: [{ name: 'pg', port: 5432, targetPort: 8080, protocol: 'TCP' }] }), svc('cache', { clusterIP: '10.0.0.72', ports: [{ port: 6379, protocol: 'TCP' }] })], { byName: true });
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toEqual({
      CACHE_SERVICE_HOST: 'cache.shop.svc', CACHE_SERVICE_PORT: '6379', CACHE_PORT: 'tcp://cache.shop.svc:6379',
      CACHE_PORT_6379_TCP: 'tcp://cache.shop.svc:6379', CACHE_PORT_6379_TCP_PROTO: 'tcp', CACHE_PORT_6379_TCP_PORT: '6379', CACHE_PORT_6379_TCP_ADDR: 'cache.shop.svc',
      MY_DB_SERVICE_HOST: 'my-db.shop.svc', MY_DB_SERVICE_PORT: '5432', MY_DB_SERVICE_PORT_PG: '5432', MY_DB_PORT: 'tcp://my-db.shop.svc:5432',
      MY_DB_PORT_5432_TCP: 'tcp://my-db.shop.svc:5432', MY_DB_PORT_5432_TCP_PROTO: 'tcp', MY_DB_PORT_5432_TCP_PORT: '5432', MY_DB_PORT_5432_TCP_ADDR: 'my-db.shop.svc',
    });
  });
});

describe('variables by name (AWS) with a named target port', () => {
  it('carry the Service\'s own port whatever the ready pods resolved the name to: the proxy listens there', () => {
    const named = svc('web', { ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] } as never);
    const port = (s: Service) => serviceEnv([s], { byName: true }).find((e) => e.name === 'WEB_SERVICE_PORT')?.value;
    expect(port(named)).toBe('80');
    named.status.endpoints = [{ pod: 'web-1-a', host: 'h', ip: '10.0.3.4', ports: [{ port: 80, hostPort: 8081, targetPort: 8081 }] }];
    expect(port(named)).toBe('80');
  });
});

describe("a Service's proxy", () => {
  it('listens on each TCP port of the Service and forwards to the endpoints at the target port, UDP left out', () => {
    const s = svc('web', { clusterIP: '10.0.0.70', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] });
    const text = renderProxyConfig(proxySpecOf(s, [{ pod: 'web-1-b', ip: '10.0.0.3', targets: { 80: 8080 } }, { pod: 'web-1-a', ip: '10.0.0.2', targets: { 80: 8080 } }]));
    expect(text).toContain('frontend port-80\n  bind :80\n  default_backend port-80\nbackend port-80\n  balance leastconn\n  server web-1-a 10.0.0.2:8080\n  server web-1-b 10.0.0.3:8080\n');
    expect(text).not.toContain(':53');
    expect(text).toContain('timeout client 24h');
  });

  it('is wanted on a network with pods, for live Services with an address, with only the endpoints on that network', () => {
    const on = { pods: new Map([['db-1', '10.0.0.2']]), podContainers: 2 };
    const wanted = desiredProxies([svc('db', { clusterIP: '10.0.0.70' }, [{ pod: 'db-1' }, { pod: 'db-elsewhere' }]), svc('pending', {})], on);
    expect(wanted).toEqual([{ project: 'shop', service: 'db', clusterIP: '10.0.0.70', ports: [{ port: 80 }], backends: [{ pod: 'db-1', ip: '10.0.0.2', targets: { 80: 80 } }] }]);
    expect(desiredProxies([svc('db', { clusterIP: '10.0.0.70' })], { pods: new Map(), podContainers: 0 })).toEqual([]);
  });

  it('forwards a named target port to the number each pod resolved, and leaves out a pod that has no port of that name', () => {
    const s = svc('web', { clusterIP: '10.0.0.70', ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] });
    s.status!.endpoints = [
      { pod: 'web-1-a', host: 'h', ip: '127.0.0.1', ports: [{ port: 80, hostPort: 32000, targetPort: 8080 }] },
      { pod: 'web-2-a', host: 'h', ip: '127.0.0.1', ports: [{ port: 80, hostPort: 32001, targetPort: 9090 }] },
      // Recorded before target ports were: a named port cannot be guessed, so it gets no server.
      { pod: 'web-0-a', host: 'h', ip: '127.0.0.1', ports: [{ port: 80, hostPort: 32002 }] },
    ];
    const on = { pods: new Map([['web-1-a', '10.0.0.2'], ['web-2-a', '10.0.0.3'], ['web-0-a', '10.0.0.4']]), podContainers: 3 };
    const text = renderProxyConfig(desiredProxies([s], on)[0]!);
    expect(text).toContain('backend port-80\n  balance leastconn\n  server web-1-a 10.0.0.2:8080\n  server web-2-a 10.0.0.3:9090\n');
    expect(text).not.toContain('web-0-a');
  });
});
