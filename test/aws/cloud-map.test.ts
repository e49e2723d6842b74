// Services' names in AWS Cloud Map (shared/aws/cloud-map.ts), on the exact requests the adapter
// sends to a Cloud Map kept as the API Reference describes it (cloud-map-fake.ts): a project's
// namespace made once (CreatorRequestId, GetOperation followed, pending reported), a Service's
// names with A and SRV records (`<service>.endpoints-<k>`: its ready pods, at most eight a name;
// `<service>`: its proxy), instances registered and deregistered as endpoints come and go, the
// name before shards (`<service>.endpoints`) kept until the current proxy runs, and everything
// removed again; resources without Berth's tags are never used or touched.
import { CreateServiceCommand, RegisterInstanceCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { describe, expect, it } from 'vitest';
import { CloudMapDiscovery, RECORD_TTL_SECONDS } from '../../shared/aws/cloud-map.ts';
import { SHARD_SIZE } from '../../shared/services/endpoint-shards.ts';
import { CLOUD_MAP_REGION, FakeCloudMap } from './cloud-map-fake.ts';

const VPC = 'vpc-0b1e2a3c4d5e6f708';
const PROJECT_UID = '7f1c2a4e-93b1-4d55-8c3e-0a9d51e2c6b7';
const db = { project: 'shop', projectUid: PROJECT_UID, name: 'db', uid: '0d9c8b7a-6f5e-4d3c-2b1a-09f8e7d6c5b4', version: '3' };
const pod = (id: string, ip: string, port = 5432) => ({ id, ip, port });

function setup(polls = 3) {
  const fake = new FakeCloudMap();
  const slept: number[] = [];
  const names = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION }), vpcId: VPC, polls, pollMs: 500, sleep: async (ms) => void slept.push(ms) });
  return { fake, names, slept };
}

describe('a Service\'s name in Cloud Map', () => {
  it('makes the project\'s namespace (waiting on its operation), the Service\'s name and its ready endpoints, in these requests', async () => {
    const { fake, names, slept } = setup();
    fake.mock.resetHistory();
    expect(await names.sync(db, { endpoints: [pod('db-1-x7k2p', '10.0.3.41')] })).toBe('done');
    const sent = fake.sent();
    expect(sent.map((c) => c.name)).toEqual([
      'ListNamespaces', 'CreatePrivateDnsNamespace', 'GetOperation', 'GetOperation', 'ListNamespaces', 'ListTagsForResource',
      'ListServices', 'CreateService', 'RegisterInstance',
    ]);
    expect(sent[0]!.input).toEqual({ Filters: [{ Name: 'NAME', Values: ['shop.svc'], Condition: 'EQ' }, { Name: 'TYPE', Values: ['DNS_PRIVATE'], Condition: 'EQ' }] });
    expect(sent[1]!.input).toEqual({
      Name: 'shop.svc', Vpc: VPC, CreatorRequestId: `berth-ns-${PROJECT_UID}`, Description: 'Berth project shop: its Services, by name',
      Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'shop' }], Properties: { DnsProperties: { SOA: { TTL: 60 } } },
    });
    expect(sent[2]!.input).toEqual({ OperationId: sent[3]!.input.OperationId });
    expect(slept).toEqual([500]);
    const nsId = [...fake.namespaces.keys()][0]!;
    expect(sent[7]!.input).toEqual({
      Name: 'db.endpoints-0', NamespaceId: nsId, CreatorRequestId: expect.stringMatching(/^[0-9a-f]{64}$/), Description: 'Berth Service shop/db: its ready endpoints (shard 0)',
      DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: RECORD_TTL_SECONDS }, { Type: 'SRV', TTL: RECORD_TTL_SECONDS }] },
      Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'shop' }, { Key: 'berth:service', Value: 'db' }],
    });
    const serviceId = [...fake.services.keys()][0]!;
    expect(sent[8]!.input).toEqual({
      ServiceId: serviceId, InstanceId: 'db-1-x7k2p', CreatorRequestId: expect.stringMatching(/^[0-9a-f]{64}$/),
      Attributes: { AWS_INSTANCE_IPV4: '10.0.3.41', AWS_INSTANCE_PORT: '5432' },
    });
    expect(fake.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-x7k2p 10.0.3.41:5432']);
  });

  it('reports pending while the namespace is still being made, and a retry continues the same operation (same CreatorRequestId)', async () => {
    const { fake, names } = setup(2);
    fake.pendingPolls = 3;
    expect(await names.sync(db, { endpoints: [pod('db-1-x7k2p', '10.0.3.41')] })).toBe('pending');
    expect(fake.namespaces.size).toBe(0);
    expect(await names.sync(db, { endpoints: [pod('db-1-x7k2p', '10.0.3.41')] })).toBe('done');
    const creates = fake.sent().filter((c) => c.name === 'CreatePrivateDnsNamespace');
    expect(creates.map((c) => c.input.CreatorRequestId)).toEqual([`berth-ns-${PROJECT_UID}`, `berth-ns-${PROJECT_UID}`]);
    // One operation, followed across both passes; one namespace.
    expect(new Set(fake.sent().filter((c) => c.name === 'GetOperation').map((c) => c.input.OperationId)).size).toBe(1);
    expect([...fake.namespaces.values()].map((n) => n.Name)).toEqual(['shop.svc']);
  });

  it('a failed namespace operation is an error naming Cloud Map\'s reason; the next try is a new request', async () => {
    const { fake, names } = setup(3);
    fake.pendingPolls = 0;
    fake.failNextNamespace = true;
    await expect(names.sync(db, { endpoints: [] })).rejects.toThrow(/CANNOT_CREATE_HOSTED_ZONE The VPC is not in this account/);
    expect(await names.sync(db, { endpoints: [] })).toBe('done');
    const ids = fake.sent().filter((c) => c.name === 'CreatePrivateDnsNamespace').map((c) => c.input.CreatorRequestId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('follows the endpoints: a new ready pod is registered, a gone one deregistered, a moved one re-registered; nothing else is sent', async () => {
    const { fake, names } = setup();
    await names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41'), pod('db-1-b', '10.0.3.42')] });
    fake.mock.resetHistory();
    expect(await names.sync({ ...db, version: '4' }, { endpoints: [pod('db-1-b', '10.0.3.52'), pod('db-1-c', '10.0.3.43')] })).toBe('done');
    expect(fake.sent().map((c) => [c.name, c.input.InstanceId ?? ''])).toEqual([
      ['ListServices', ''], ['ListInstances', ''], ['DeregisterInstance', 'db-1-a'], ['RegisterInstance', 'db-1-b'], ['RegisterInstance', 'db-1-c'],
    ]);
    expect(fake.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-b 10.0.3.52:5432', 'db-1-c 10.0.3.43:5432']);
    fake.mock.resetHistory();
    expect(await names.sync({ ...db, version: '5' }, { endpoints: [pod('db-1-b', '10.0.3.52'), pod('db-1-c', '10.0.3.43')] })).toBe('done');
    expect(fake.sent().map((c) => c.name)).toEqual(['ListServices', 'ListInstances']);
  });

  it('a pod that becomes ready again in a new version of the Service is a new registration request', async () => {
    const { fake, names } = setup();
    await names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41')] });
    await names.sync({ ...db, version: '4' }, { endpoints: [] });
    await names.sync({ ...db, version: '5' }, { endpoints: [pod('db-1-a', '10.0.3.41')] });
    const ids = fake.sent().filter((c) => c.name === 'RegisterInstance').map((c) => c.input.CreatorRequestId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('never uses a namespace of the same name that Berth did not make: 409 NotOwned, and nothing is written into it', async () => {
    const { fake, names } = setup();
    const foreign = fake.foreignNamespace('shop.svc');
    await expect(names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41')] })).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    expect([...fake.services.values()].filter((s) => s.NamespaceId === foreign)).toEqual([]);
    expect(fake.sent().map((c) => c.name)).not.toContain('CreateService');
    // Nor is it deleted with the project.
    expect(await names.removeProject('shop')).toBe('done');
    expect(fake.namespaces.has(foreign)).toBe(true);
  });

  it('answers the Service\'s own name with its proxy: a second Cloud Map service, made with the proxy\'s first answer', async () => {
    const { fake, names } = setup();
    await names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41')] });
    expect(fake.answers('db.shop.svc')).toEqual([]);
    expect([...fake.services.values()].map((x) => x.Name)).toEqual(['db.endpoints-0']);
    fake.mock.resetHistory();
    expect(await names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41')], service: [{ id: 'proxy', ip: '10.0.3.99', port: 5432 }] })).toBe('done');
    const sent = fake.sent();
    expect(sent.map((c) => c.name)).toEqual(['ListServices', 'ListInstances', 'CreateService', 'ListInstances', 'RegisterInstance']);
    expect(sent[2]!.input).toEqual({
      Name: 'db', NamespaceId: [...fake.namespaces.keys()][0], CreatorRequestId: expect.stringMatching(/^[0-9a-f]{64}$/), Description: 'Berth Service shop/db: its proxy',
      DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: RECORD_TTL_SECONDS }, { Type: 'SRV', TTL: RECORD_TTL_SECONDS }] },
      Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'shop' }, { Key: 'berth:service', Value: 'db' }],
    });
    expect(sent[4]!.input).toMatchObject({ InstanceId: 'proxy', Attributes: { AWS_INSTANCE_IPV4: '10.0.3.99', AWS_INSTANCE_PORT: '5432' } });
    expect(fake.answers('db.shop.svc')).toEqual(['proxy 10.0.3.99:5432']);
    expect(fake.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-a 10.0.3.41:5432']);
    // A replaced proxy (a new address) is the same instance registered again.
    await names.sync({ ...db, version: '4' }, { endpoints: [pod('db-1-a', '10.0.3.41')], service: [{ id: 'proxy', ip: '10.0.3.77', port: 5432 }] });
    expect(fake.answers('db.shop.svc')).toEqual(['proxy 10.0.3.77:5432']);
  });

  it('leaves the Service\'s own name as it is while no proxy answers (a name step 1 filled with pods), then answers it with the proxy only', async () => {
    const { fake, names } = setup();
    await names.sync(db, { endpoints: [], service: [pod('db-1-a', '10.0.3.41')] });
    await names.sync({ ...db, version: '4' }, { endpoints: [pod('db-1-a', '10.0.3.41')] });
    expect(fake.answers('db.shop.svc')).toEqual(['db-1-a 10.0.3.41:5432']);
    await names.sync({ ...db, version: '5' }, { endpoints: [pod('db-1-a', '10.0.3.41')], service: [{ id: 'proxy', ip: '10.0.3.99', port: 5432 }] });
    expect(fake.answers('db.shop.svc')).toEqual(['proxy 10.0.3.99:5432']);
  });

  it('removes a Service\'s names: their instances first, then (once they are gone) the services', async () => {
    const { fake, names } = setup();
    await names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41')], service: [{ id: 'proxy', ip: '10.0.3.99', port: 5432 }] });
    fake.mock.resetHistory();
    expect(await names.removeService('shop', 'db')).toBe('pending');
    expect(fake.sent().map((c) => [c.name, c.input.InstanceId ?? ''])).toEqual([
      ['ListServices', ''], ['ListInstances', ''], ['DeregisterInstance', 'proxy'], ['ListInstances', ''], ['DeregisterInstance', 'db-1-a'],
    ]);
    expect(await names.removeService('shop', 'db')).toBe('done');
    expect(fake.services.size).toBe(0);
    expect(await names.removeService('shop', 'db')).toBe('done');
  });

  it('removes a project\'s namespace with every name left in it, waiting on the deletion\'s operation; lists only Berth\'s namespaces', async () => {
    const { fake, names } = setup();
    await names.sync(db, { endpoints: [pod('db-1-a', '10.0.3.41')] });
    await names.sync({ ...db, name: 'cache', uid: 'c4c4e000-0000-4000-8000-000000000001' }, { endpoints: [] });
    fake.foreignNamespace('payments.svc');
    expect(await names.list()).toEqual([{ project: 'shop', services: ['db', 'cache'] }]);
    expect(await names.removeProject('shop')).toBe('pending');
    expect(await names.removeProject('shop')).toBe('done');
    expect(fake.sent().filter((c) => c.name === 'DeleteNamespace')).toHaveLength(1);
    expect([...fake.namespaces.values()].map((n) => n.Name)).toEqual(['payments.svc']);
    expect(fake.services.size).toBe(0);
    expect(await names.list()).toEqual([]);
  });
});

describe('more ready pods than Route 53 answers under one name', () => {
  const twenty = Array.from({ length: 20 }, (_, i) => pod(`db-1-${i + 1}`, `10.0.3.${i + 1}`));
  const registered = (c: { input: Record<string, unknown> }) => `${c.input.ServiceId} ${c.input.InstanceId}`;

  /** The namespace and shard 0 made, the Service without ready pods; the history cleared. */
  async function madeEmpty() {
    const { fake, names } = setup();
    fake.pendingPolls = 0;
    await names.sync(db, { endpoints: [] });
    fake.mock.resetHistory();
    return { fake, names, shard: (k: number) => fake.serviceId('shop.svc', `db.endpoints-${k}`) };
  }

  it('20 ready pods are registered across three shards, at most eight in each, in these requests', async () => {
    const { fake, names, shard } = await madeEmpty();
    expect(await names.sync({ ...db, version: '4' }, { endpoints: twenty })).toBe('done');
    const sent = fake.sent();
    expect(sent.map((c) => c.name)).toEqual(['ListServices', 'ListInstances', 'CreateService', 'CreateService', ...Array(20).fill('RegisterInstance')]);
    expect(sent[1]!.input).toEqual({ ServiceId: shard(0) });
    const nsId = [...fake.namespaces.keys()][0]!;
    for (const k of [1, 2]) {
      expect(sent[1 + k]!.input).toEqual({
        Name: `db.endpoints-${k}`, NamespaceId: nsId, CreatorRequestId: expect.stringMatching(/^[0-9a-f]{64}$/), Description: `Berth Service shop/db: its ready endpoints (shard ${k})`,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: RECORD_TTL_SECONDS }, { Type: 'SRV', TTL: RECORD_TTL_SECONDS }] },
        Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'shop' }, { Key: 'berth:service', Value: 'db' }],
      });
    }
    expect(sent[2]!.input.CreatorRequestId).not.toBe(sent[3]!.input.CreatorRequestId);
    expect(sent.slice(4).map(registered)).toEqual(twenty.map((p, i) => `${shard(i < 8 ? 0 : i < 16 ? 1 : 2)} ${p.id}`));
    expect(sent[4]!.input).toEqual({
      ServiceId: shard(0), InstanceId: 'db-1-1', CreatorRequestId: expect.stringMatching(/^[0-9a-f]{64}$/), Attributes: { AWS_INSTANCE_IPV4: '10.0.3.1', AWS_INSTANCE_PORT: '5432' },
    });
    const answers = [0, 1, 2].map((k) => fake.answers(`db.endpoints-${k}.shop.svc`));
    expect(answers.map((a) => a.length)).toEqual([8, 8, 4]);
    expect(answers.every((a) => a.length <= SHARD_SIZE)).toBe(true);
    expect(answers.flat().sort()).toEqual(twenty.map((p) => `${p.id} ${p.ip}:5432`).sort());
    expect(fake.serviceId('shop.svc', 'db.endpoints-3')).toBeUndefined();
  });

  it('a pod that stops being ready is deregistered from its shard only; nothing else is written', async () => {
    const { fake, names, shard } = await madeEmpty();
    await names.sync({ ...db, version: '4' }, { endpoints: twenty });
    const before = [0, 2].map((k) => fake.answers(`db.endpoints-${k}.shop.svc`));
    fake.mock.resetHistory();
    expect(await names.sync({ ...db, version: '5' }, { endpoints: twenty.filter((p) => p.id !== 'db-1-11') })).toBe('done');
    expect(fake.sent()).toEqual([
      { name: 'ListServices', input: { Filters: [{ Name: 'NAMESPACE_ID', Values: [[...fake.namespaces.keys()][0]], Condition: 'EQ' }] } },
      ...[0, 1, 2].map((k) => ({ name: 'ListInstances', input: { ServiceId: shard(k) } })),
      { name: 'DeregisterInstance', input: { ServiceId: shard(1), InstanceId: 'db-1-11' } },
    ]);
    expect(fake.answers('db.endpoints-1.shop.svc')).toHaveLength(7);
    expect([0, 2].map((k) => fake.answers(`db.endpoints-${k}.shop.svc`))).toEqual(before);
    // A new pod fills the room it left (the emptiest shard with room), and keeps it.
    await names.sync({ ...db, version: '6' }, { endpoints: [...twenty.filter((p) => p.id !== 'db-1-11'), pod('db-2-a', '10.0.3.99')] });
    expect(fake.answers('db.endpoints-2.shop.svc')).toContain('db-2-a 10.0.3.99:5432');
  });

  it('a shard another pass made (another function\'s warm instance) is read on the next pass: nothing registered twice', async () => {
    const { fake, names } = await madeEmpty();
    const other = new CloudMapDiscovery({ client: new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION }), vpcId: VPC, polls: 1, sleep: async () => {} });
    await other.sync({ ...db, version: '4' }, { endpoints: twenty.slice(0, 12) });
    fake.mock.resetHistory();
    expect(await names.sync({ ...db, version: '5' }, { endpoints: twenty.slice(0, 12) })).toBe('done');
    // Its tags are read once (this instance did not make it), and nothing is written.
    expect(fake.sent().map((c) => c.name)).toEqual(['ListServices', 'ListTagsForResource', 'ListInstances', 'ListInstances']);
    await names.sync({ ...db, version: '6' }, { endpoints: twenty.slice(0, 11) });
    // The pod it made ready there (db-1-12) is deregistered by this one too.
    expect(fake.answers('db.endpoints-1.shop.svc').map((a) => a.split(' ')[0])).toEqual(['db-1-10', 'db-1-11', 'db-1-9']);
    expect(fake.answers('db.endpoints-0.shop.svc')).toHaveLength(8);
  });

  it('never fills a shard name that Berth did not make for this Service: 409 NotOwned, nothing registered into it', async () => {
    const { fake, names } = await madeEmpty();
    const foreign = fake.foreignService('shop.svc', 'db.endpoints-1');
    await names.sync({ ...db, version: '4' }, { endpoints: twenty.slice(0, 8) });
    await expect(names.sync({ ...db, version: '5' }, { endpoints: twenty.slice(1, 10) })).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    expect(fake.sent().filter((c) => c.input.ServiceId === foreign)).toEqual([]);
    expect(fake.instances.get(foreign)!.size).toBe(0);
    // The pod that went is no longer answered all the same.
    expect(fake.answers('db.endpoints-0.shop.svc').map((a) => a.split(' ')[0])).not.toContain('db-1-1');
    expect(fake.answers('db.endpoints-0.shop.svc')).toHaveLength(7);
    // Nor is it deleted with the Service.
    while ((await names.removeService('shop', 'db')) === 'pending');
    expect(fake.services.has(foreign)).toBe(true);
  });

  it('removes every shard with the Service', async () => {
    const { fake, names } = await madeEmpty();
    await names.sync({ ...db, version: '4' }, { endpoints: twenty, service: [{ id: 'proxy', ip: '10.0.3.200', port: 5432 }] });
    expect(fake.services.size).toBe(4);
    expect(await names.removeService('shop', 'db')).toBe('pending');
    expect(await names.removeService('shop', 'db')).toBe('done');
    expect(fake.services.size).toBe(0);
  });
});

describe('a Service named before the shards (`<service>.endpoints`, which its old proxy resolves)', () => {
  /** The names an earlier version made: `db.endpoints` with the ready pods, and `db` with the old proxy. */
  async function earlier() {
    const { fake, names } = setup();
    fake.pendingPolls = 0;
    await names.sync(db, { endpoints: [] });
    const client = new ServiceDiscoveryClient({ region: CLOUD_MAP_REGION });
    const old: Record<string, string> = {};
    for (const [name, what] of [['db.endpoints', 'its ready endpoints'], ['db', 'its proxy']] as const) {
      const { Service } = await client.send(new CreateServiceCommand({
        Name: name, NamespaceId: [...fake.namespaces.keys()][0]!, CreatorRequestId: `earlier-${name}`, Description: `Berth Service shop/db: ${what}`,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 5 }, { Type: 'SRV', TTL: 5 }] },
        Tags: [{ Key: 'berth:managed', Value: 'true' }, { Key: 'berth:project', Value: 'shop' }, { Key: 'berth:service', Value: 'db' }],
      }));
      old[name] = Service!.Id!;
    }
    for (const [id, ip] of [['db-1-a', '10.0.3.41'], ['db-1-b', '10.0.3.42']]) {
      await client.send(new RegisterInstanceCommand({ ServiceId: old['db.endpoints'], InstanceId: id, Attributes: { AWS_INSTANCE_IPV4: ip!, AWS_INSTANCE_PORT: '5432' } }));
    }
    await client.send(new RegisterInstanceCommand({ ServiceId: old.db, InstanceId: 'proxy', Attributes: { AWS_INSTANCE_IPV4: '10.0.3.99', AWS_INSTANCE_PORT: '5432' } }));
    return { fake, names, legacy: old['db.endpoints']! };
  }

  it('keeps answering the ready pods under the old name while the new proxy is not running, beside the shards', async () => {
    const { fake, names } = await earlier();
    expect(await names.sync({ ...db, version: '4' }, { endpoints: [pod('db-1-b', '10.0.3.42'), pod('db-1-c', '10.0.3.43')] })).toBe('done');
    expect(fake.answers('db.endpoints.shop.svc')).toEqual(['db-1-b 10.0.3.42:5432', 'db-1-c 10.0.3.43:5432']);
    expect(fake.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-b 10.0.3.42:5432', 'db-1-c 10.0.3.43:5432']);
    expect(fake.answers('db.shop.svc')).toEqual(['proxy 10.0.3.99:5432']);
  });

  it('removes the old name once the current proxy runs (its answers first, then the name), and nothing else', async () => {
    const { fake, names, legacy } = await earlier();
    const want = { endpoints: [pod('db-1-a', '10.0.3.41'), pod('db-1-b', '10.0.3.42')], service: [{ id: 'proxy', ip: '10.0.3.77', port: 5432 }] };
    fake.mock.resetHistory();
    expect(await names.sync({ ...db, version: '4' }, want)).toBe('pending');
    expect(fake.sent().filter((c) => c.input.ServiceId === legacy).map((c) => [c.name, c.input.InstanceId ?? ''])).toEqual([
      ['ListInstances', ''], ['DeregisterInstance', 'db-1-a'], ['DeregisterInstance', 'db-1-b'],
    ]);
    expect(await names.sync({ ...db, version: '4' }, want)).toBe('done');
    expect(fake.sent().filter((c) => c.name === 'DeleteService').map((c) => c.input)).toEqual([{ Id: legacy }]);
    expect(fake.serviceId('shop.svc', 'db.endpoints')).toBeUndefined();
    expect(fake.answers('db.endpoints-0.shop.svc')).toEqual(['db-1-a 10.0.3.41:5432', 'db-1-b 10.0.3.42:5432']);
    expect(fake.answers('db.shop.svc')).toEqual(['proxy 10.0.3.77:5432']);
    expect(await names.list()).toEqual([{ project: 'shop', services: ['db'] }]);
  });

  it('goes with its Service like the others', async () => {
    const { fake, names } = await earlier();
    expect(await names.list()).toEqual([{ project: 'shop', services: ['db'] }]);
    while ((await names.removeService('shop', 'db')) === 'pending');
    expect(fake.services.size).toBe(0);
  });
});
