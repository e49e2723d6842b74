// A Service's proxy on AWS (shared/aws/service-proxy-task.ts): the proxy a Service needs, its
// HAProxy configuration (checked by the real `haproxy -c`), its task definition and its RunTask
// input, in the shapes of the Amazon ECS API Reference (RegisterTaskDefinition, RunTask).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROXY_SLOTS,
  proxyContentHash,
  proxyFamily,
  proxyRunTaskInput,
  proxyTaskDefinitionInput,
  proxyToken,
  renderServiceProxyConfig,
} from '../../shared/aws/service-proxy-task.ts';
import type { Service } from '../../shared/model/objects.ts';
import { serviceProxySpecOf } from '../../shared/services/discovery.ts';

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

  it('listens on each Service port and fills its backend from the endpoints\' name, at the pods\' port, through the VPC resolver', () => {
    const text = renderServiceProxyConfig(spec);
    expect(text).toContain('resolvers vpc\n  parse-resolv-conf\n');
    expect(text).toContain('  default-server init-addr none resolvers vpc resolve-prefer ipv4 check inter 2s\n');
    expect(text).toContain(`frontend port-80\n  bind :80\n  default_backend port-80\nbackend port-80\n  balance leastconn\n  server-template pod 1-${PROXY_SLOTS} db.endpoints.shop.svc:8081\n`);
    expect(text).toContain(`backend port-5432\n  balance leastconn\n  server-template pod 1-${PROXY_SLOTS} db.endpoints.shop.svc:5432\n`);
    // Nothing in it names another project's namespace or an address: the pods are found by name.
    expect([...new Set(text.match(/[\w.-]+\.svc\b/g))]).toEqual(['db.endpoints.shop.svc']);
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
