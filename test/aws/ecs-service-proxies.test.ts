// Services' proxies on ECS (shared/aws/ecs-service-proxies.ts), on the exact requests the adapter
// sends to ECS kept as its API Reference describes it (ecs-proxy-fake.ts): a proxy run once per
// Service on the project's network, its address once it runs, a replacement when the Service's
// ports change (the old one stopped only once the new one runs), a lost one run again, a task
// Berth did not run for that Service never used or stopped, and a refusal to place reported.
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsServiceProxies } from '../../shared/aws/ecs-service-proxies.ts';
import { proxyContentHash, proxyTaskDefinitionInput, proxyToken } from '../../shared/aws/service-proxy-task.ts';
import { ECS_REGION, FakeEcsProxies } from './ecs-proxy-fake.ts';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/service-proxy:1';
const db = { project: 'shop', service: 'db', ports: [{ port: 5432, target: 5432 }] };
let fake: FakeEcsProxies;
afterEach(() => fake.mock.restore());

function setup() {
  fake = new FakeEcsProxies();
  const groups: string[] = [];
  const proxies = new EcsServiceProxies({
    client: new ECSClient({ region: ECS_REGION }), cluster: 'berth', image: IMAGE, subnets: ['subnet-a', 'subnet-b'],
    securityGroupOf: async (project) => { groups.push(project); return `sg-0${project}`; },
    executionRoleOf: (project) => `arn:aws:iam::123456789012:role/berth/projects/berth-${project}`,
  });
  return { proxies, groups };
}

describe('a Service\'s proxy task', () => {
  it('is run once, on the project\'s network, in these requests; its address is answered once ECS runs it', async () => {
    const { proxies, groups } = setup();
    expect(await proxies.ensure(db)).toEqual({});
    const sent = fake.sent();
    expect(sent.map((c) => c.name)).toEqual(['ListTasks', 'DescribeTaskDefinition', 'RegisterTaskDefinition', 'RunTask']);
    expect(sent[0]!.input).toEqual({ cluster: 'berth', startedBy: proxyToken('shop', 'db'), desiredStatus: 'RUNNING' });
    expect(sent[1]!.input).toEqual({ taskDefinition: 'berth-proxy-shop_db', include: ['TAGS'] });
    const hash = proxyContentHash(proxyTaskDefinitionInput(db, { image: IMAGE, executionRoleOf: (p) => `arn:aws:iam::123456789012:role/berth/projects/berth-${p}` }));
    expect(sent[2]!.input).toMatchObject({ family: 'berth-proxy-shop_db', networkMode: 'awsvpc', tags: expect.arrayContaining([{ key: 'berth:content-hash', value: hash }]) });
    expect(sent[3]!.input).toMatchObject({
      cluster: 'berth', taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/berth-proxy-shop_db:1', startedBy: proxyToken('shop', 'db'),
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-0shop'], assignPublicIp: 'DISABLED' } },
    });
    expect(groups).toEqual(['shop']);
    // Still starting: nothing more is run.
    fake.mock.resetHistory();
    expect(await proxies.ensure(db)).toEqual({});
    expect(fake.sent().map((c) => c.name)).toEqual(['ListTasks', 'DescribeTasks']);
    fake.startAll();
    expect(await proxies.ensure(db)).toEqual({ address: '10.0.3.101' });
    expect(fake.live()).toHaveLength(1);
  });

  it('is replaced when the Service\'s ports change: the new one runs first, then the old one is stopped', async () => {
    const { proxies } = setup();
    await proxies.ensure(db);
    fake.startAll();
    const [old] = fake.live();
    const changed = { ...db, ports: [{ port: 5432, target: 5433 }] };
    // Until the new one runs, nothing is answered anew: the Service's name keeps the old proxy.
    expect(await proxies.ensure(changed)).toEqual({});
    expect(fake.live()).toHaveLength(2);
    expect(fake.families.get('berth-proxy-shop_db')!.revision).toBe(2);
    fake.mock.resetHistory();
    fake.startAll((n) => `10.0.3.${110 + n}`);
    expect(await proxies.ensure(changed)).toEqual({ address: '10.0.3.111' });
    expect(fake.sent().filter((c) => c.name === 'StopTask').map((c) => c.input.task)).toEqual([old!.taskArn]);
    expect(fake.live().map((t) => t.taskArn)).not.toContain(old!.taskArn);
  });

  it('is run again when it stopped on its own (its host went away)', async () => {
    const { proxies } = setup();
    await proxies.ensure(db);
    fake.startAll();
    fake.lose(fake.live()[0]!.taskArn!);
    expect(await proxies.ensure(db)).toEqual({});
    expect(fake.sent().filter((c) => c.name === 'RunTask')).toHaveLength(2);
    // The task definition was registered once: the second run finds it by its content hash.
    expect(fake.sent().filter((c) => c.name === 'RegisterTaskDefinition')).toHaveLength(1);
  });

  it('is stopped with its Service', async () => {
    const { proxies } = setup();
    await proxies.ensure(db);
    expect(await proxies.remove('shop', 'db')).toBe('done');
    expect(fake.live()).toEqual([]);
    expect(await proxies.remove('shop', 'db')).toBe('done');
  });

  it('reports a task ECS could not place as an error naming ECS\'s reason', async () => {
    const { proxies } = setup();
    fake.placementFailure = 'RESOURCE:MEMORY';
    await expect(proxies.ensure(db)).rejects.toThrow(/could not run the proxy of Service shop\/db: RESOURCE:MEMORY/);
  });

  it('never uses or stops a task under the token that Berth did not run for that Service (409 NotOwned)', async () => {
    const { proxies } = setup();
    await proxies.ensure(db);
    const t = fake.live()[0]!;
    t.tags = [{ key: 'berth:managed', value: 'true' }, { key: 'berth:project', value: 'shop' }, { key: 'berth:service', value: 'other' }];
    fake.mock.resetHistory();
    await expect(proxies.ensure(db)).rejects.toMatchObject({ status: 409, code: 'NotOwned' });
    await expect(proxies.remove('shop', 'db')).rejects.toMatchObject({ code: 'NotOwned' });
    expect(fake.sent().map((c) => c.name)).not.toContain('StopTask');
  });
});
