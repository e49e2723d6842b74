// A Service's proxy on AWS (shared/aws/service-proxy-task.ts): the proxy a Service needs, its
// HAProxy configuration (checked by the real `haproxy -c`, and run by the real HAProxy against a
// loopback name server answering as Route 53 does: at most eight A records a name, NXDOMAIN for a
// name not made), its task definition and its RunTask input, in the shapes of the Amazon ECS API
// Reference (RegisterTaskDefinition, RunTask).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  proxyContentHash,
  proxyFamily,
  proxyRunTaskInput,
  proxyTaskDefinitionInput,
  proxyToken,
  renderServiceProxyConfig,
} from '../../shared/aws/service-proxy-task.ts';
import type { Service } from '../../shared/model/objects.ts';
import { serviceProxySpecOf } from '../../shared/services/discovery.ts';
import { ENDPOINT_SHARDS, MAX_ENDPOINTS, SHARD_SIZE, shardName } from '../../shared/services/endpoint-shards.ts';

const run = promisify(execFile);
let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-awsproxy-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const svc = (name: string, ports: Service['spec']['ports'], endpoints: NonNullable<Service['status']>['endpoints'] = []): Service => ({
  kind: 'Service',
  metadata: { name, project: 'shop', uid: 'u', resourceVersion: '1', creationTimestamp: '2026-12-03T00:00:00Z', labels: {}, annotations: {} },
  spec: { selector: { app: name }, ports },
  status: { endpoints },
} as unknown as Service);

/** `haproxy -c` on the text: exit 0 and its output, or the error with HAProxy's own words. */
async function check(text: string): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.cfg`);
  await writeFile(file, text);
  const { stdout, stderr } = await run('haproxy', ['-c', '-f', file]);
  return `${stdout}${stderr}`;
}

describe('the proxy a Service needs', () => {
  it('forwards every TCP port to the port its pods listen on (a named one as its ready pods resolved it); UDP is left out', () => {
    const s = svc('db', [
      { name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' },
      { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' } as never,
      { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
      { port: 9000, protocol: 'TCP' },
    ], [{ pod: 'db-1-a', host: 'h', ip: '10.0.3.4', ports: [{ port: 5432, hostPort: 5432, targetPort: 5432 }, { port: 80, hostPort: 8081, targetPort: 8081 }] }]);
    expect(serviceProxySpecOf(s)).toEqual({ project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }, { port: 80, target: 8081 }, { port: 9000, target: 9000 }] });
  });

  it('is none for a Service with only UDP ports', () => {
    expect(serviceProxySpecOf(svc('dns', [{ port: 53, targetPort: 5353, protocol: 'UDP' }]))).toBeUndefined();
  });
});

describe("the proxy's HAProxy configuration", () => {
  const spec = { project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }, { port: 80, target: 8081 }] };

  it('listens on each Service port and fills its backend from every shard of the endpoints\' names, eight slots each, at the pods\' port, through the VPC resolver', () => {
    const text = renderServiceProxyConfig(spec);
    expect(text).toContain('resolvers vpc\n  parse-resolv-conf\n');
    expect(text).toContain('  default-server init-addr none resolvers vpc resolve-prefer ipv4 check inter 2s\n');
    const groups = (target: number) => [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `  server-template shard${k}-pod 1-8 db.endpoints-${k}.shop.svc:${target}\n`).join('');
    expect(text).toContain(`frontend port-80\n  bind :80\n  default_backend port-80\nbackend port-80\n  balance leastconn\n${groups(8081)}`);
    expect(text).toContain(`backend port-5432\n  balance leastconn\n${groups(5432)}`);
    // 64 slots a port: as many ready pods as the shards hold.
    expect(text.match(/server-template shard\d-pod 1-8 /g)).toHaveLength(2 * ENDPOINT_SHARDS);
    expect(ENDPOINT_SHARDS * SHARD_SIZE).toBe(MAX_ENDPOINTS);
    expect(MAX_ENDPOINTS).toBeGreaterThanOrEqual(64);
    // Nothing in it names another project's namespace or an address: the pods are found by name.
    expect([...new Set(text.match(/[\w.-]+\.svc\b/g))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => shardName('db', k) + '.shop.svc'));
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
  });

  it('is valid for HAProxy itself (haproxy -c), with one port and with many', async () => {
    expect(await check(renderServiceProxyConfig(spec))).toMatch(/Configuration file is valid/);
    const many = { project: 'shop', service: 'multi', ports: Array.from({ length: 20 }, (_, i) => ({ port: 8000 + i, target: 9000 + i })) };
    expect(await check(renderServiceProxyConfig(many))).toMatch(/Configuration file is valid/);
  });

  it('a broken variant is refused by the same check (the check can fail)', async () => {
    await expect(check(renderServiceProxyConfig(spec).replace('resolvers vpc\n', 'resolvers vpc\n  nonsense here\n'))).rejects.toThrow(/unknown keyword 'nonsense'/);
  });
});

describe("the proxy's task (ECS API Reference: RegisterTaskDefinition, RunTask)", () => {
  const spec = { project: 'shop', service: 'db', ports: [{ port: 80, target: 8080 }] };
  const settings = { image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service-proxy:1', executionRoleOf: (p: string) => `arn:aws:iam::123456789012:role/berth/projects/berth-${p}` };

  it('is an awsvpc task of its own family, running HAProxy as nobody without capabilities, allowed to listen below 1024, its configuration in a variable', () => {
    const input = proxyTaskDefinitionInput(spec, settings);
    const c = input.containerDefinitions![0]!;
    expect(input).toMatchObject({ family: 'berth-proxy-shop_db', networkMode: 'awsvpc', requiresCompatibilities: ['EC2'], executionRoleArn: 'arn:aws:iam::123456789012:role/berth/projects/berth-shop' });
    expect(input.taskRoleArn).toBeUndefined();
    expect(c).toMatchObject({
      name: 'proxy', image: settings.image, essential: true, user: '65534:65534', privileged: false,
      linuxParameters: { capabilities: { drop: ['ALL'] }, initProcessEnabled: true }, dockerSecurityOptions: ['no-new-privileges'],
      systemControls: [{ namespace: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      portMappings: [{ containerPort: 80, protocol: 'tcp' }], cpu: 64, memoryReservation: 32, memory: 128, mountPoints: [], volumesFrom: [],
    });
    expect(c.environment).toEqual([{ name: 'BERTH_PROXY_CONFIG', value: renderServiceProxyConfig(spec) }]);
    expect(c.command).toEqual(['/bin/sh', '-c', 'printf "%s" "$BERTH_PROXY_CONFIG" > /tmp/haproxy.cfg && exec haproxy -W -db -f /tmp/haproxy.cfg']);
  });

  it('changes (and so is replaced) when the Service\'s ports change, not otherwise', () => {
    const a = proxyContentHash(proxyTaskDefinitionInput(spec, settings));
    expect(proxyContentHash(proxyTaskDefinitionInput({ ...spec }, settings))).toBe(a);
    expect(proxyContentHash(proxyTaskDefinitionInput({ ...spec, ports: [{ port: 80, target: 8081 }] }, settings))).not.toBe(a);
  });

  it('families and tokens never mix two projects, and stay within ECS\'s limits', () => {
    expect(proxyFamily('a-b', 'c')).not.toBe(proxyFamily('a', 'b-c'));
    expect(proxyToken('a-b', 'c')).not.toBe(proxyToken('a', 'b-c'));
    expect(proxyToken('shop', 'db')).toMatch(/^berth-proxy-[0-9a-f]{26}$/);
    expect(proxyFamily('p'.repeat(200), 's'.repeat(63)).length).toBeLessThanOrEqual(255);
  });

  it('runs on the tenant host Berth chose (by its EC2 instance), on the project\'s network only, named and tagged as the Service\'s proxy', () => {
    const run = { cluster: 'berth', taskDefinition: 'arn:td', hash: 'h1', subnets: ['subnet-a', 'subnet-b'], securityGroup: 'sg-0shop', ec2InstanceId: 'i-0a1b2c3d4e5f60718' };
    expect(() => proxyRunTaskInput(spec, { ...run, ec2InstanceId: 'i-1 or ec2InstanceId != i-2' })).toThrow(/not an EC2 instance id/);
    expect(proxyRunTaskInput(spec, run)).toEqual({
      cluster: 'berth', taskDefinition: 'arn:td', count: 1, launchType: 'EC2',
      startedBy: proxyToken('shop', 'db'), group: 'berth-proxy:shop/db',
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:berth.role == tenant' }, { type: 'memberOf', expression: 'ec2InstanceId == i-0a1b2c3d4e5f60718' }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-0shop'], assignPublicIp: 'DISABLED' } },
      tags: [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'shop' }, { key: 'berth:service', value: 'db' }, { key: 'berth:content-hash', value: 'h1' }],
      enableECSManagedTags: true,
    });
  });

  it('refuses a spec without a TCP port, naming the field', () => {
    expect(() => proxyTaskDefinitionInput({ ...spec, ports: [] }, settings)).toThrow(/spec\.ports/);
  });
});

/**
 * A name server on loopback answering A queries as Route 53 answers a Cloud Map service's
 * multivalue name (Route 53 Developer Guide, "Multivalue answer routing": up to eight records;
 * RFC 1035 §4.1 message format): the names it knows with their addresses, any other with
 * NXDOMAIN (a shard not made yet). The queries it was asked, by name.
 */
function nameServer(records: Map<string, string[]>): Promise<{ port: number; asked: Set<string>; close: () => void }> {
  const socket: UdpSocket = createSocket('udp4');
  const asked = new Set<string>();
  socket.on('message', (q, from) => {
    const labels: string[] = [];
    let at = 12;
    while (q[at]) {
      labels.push(q.subarray(at + 1, at + 1 + q[at]!).toString('ascii'));
      at += q[at]! + 1;
    }
    const question = q.subarray(12, at + 5);
    const type = q.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    asked.add(name);
    const known = records.get(name);
    const answers = type === 1 && known ? known.slice(0, 8) : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(5, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      return rr;
    });
    socket.send(Buffer.concat([header, question, ...rrs]), from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({ port: socket.address().port, asked, close: () => socket.close() })));
}

/** A pod on loopback: answers each connection with its name. */
function podServer(name: string, ip: string, port: number): Promise<Server> {
  const server = createServer((c) => c.end(name));
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, ip, () => resolve(server)));
}

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** What one connection to the proxy reads before it closes ('' when refused or reset). */
const ask = (port: number): Promise<string> => new Promise((resolve) => {
  let got = '';
  const c = connect(port, '127.0.0.1');
  c.on('data', (d) => (got += d.toString()));
  c.on('close', () => resolve(got));
  c.on('error', () => resolve(''));
});

describe('the proxy, run by HAProxy itself, over more ready pods than one name answers', () => {
  let haproxy: ChildProcess | undefined;
  const servers: Server[] = [];
  let dns: Awaited<ReturnType<typeof nameServer>> | undefined;
  afterAll(async () => {
    haproxy?.kill('SIGTERM');
    dns?.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('20 pods answered under shards 0, 1 and 2 (8, 8, 4; the other names NXDOMAIN) are all reached through the proxy', async () => {
    const target = await freePort();
    const listen = await freePort();
    const pods = Array.from({ length: 20 }, (_, i) => ({ name: `web-1-${i}`, ip: `127.0.0.${10 + i}` }));
    for (const p of pods) servers.push(await podServer(p.name, p.ip, target));
    const shard = (k: number) => `${shardName('web', k)}.shop.svc`;
    dns = await nameServer(new Map([[shard(0), pods.slice(0, 8)], [shard(1), pods.slice(8, 16)], [shard(2), pods.slice(16)]].map(([n, ps]) => [n as string, (ps as typeof pods).map((p) => p.ip)])));
    const text = renderServiceProxyConfig({ project: 'shop', service: 'web', ports: [{ port: listen, target }] })
      // The task's resolv.conf names the VPC resolver; here, the loopback one. The frontend listens on loopback only.
      .replace('  parse-resolv-conf\n', `  nameserver test 127.0.0.1:${dns.port}\n`)
      .replace(`  bind :${listen}\n`, `  bind 127.0.0.1:${listen}\n`);
    const file = join(dir, 'run.cfg');
    await writeFile(file, text);
    haproxy = spawn('haproxy', ['-db', '-f', file], { stdio: 'ignore' });
    const reached = new Set<string>();
    // Until every pod has answered, or 20 s (names resolved, checks passed) have gone.
    for (const end = Date.now() + 20_000; reached.size < pods.length && Date.now() < end;) {
      const got = await ask(listen);
      if (got) reached.add(got);
      await new Promise((r) => setTimeout(r, got ? 5 : 100));
    }
    expect([...reached].sort()).toEqual(pods.map((p) => p.name).sort());
    // It asked for every shard's name, the ones not made too.
    expect([...Array(ENDPOINT_SHARDS).keys()].every((k) => dns!.asked.has(shard(k)))).toBe(true);
  }, 60_000);
});

