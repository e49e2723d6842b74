// Readiness on ECS: a pod with a readiness probe runs it as its container's health check, and
// ECS reports the verdict only where it reports container health — DescribeTasks
// `containers[].healthStatus` (HEALTHY, UNHEALTHY, UNKNOWN). Task State Change events carry no
// container health, so the fleet pass reads it, and the pod becomes Ready (and enters its
// Service's endpoints) when ECS says HEALTHY, and leaves them when UNHEALTHY.
// AWS documentation: ECS API Reference, DescribeTasks and the Container data type
// (healthStatus); "Determine Amazon ECS task health using container health checks" (ECS
// Developer Guide); "Amazon ECS task state change events" (no container healthStatus).
import { beforeEach, describe, expect, it } from 'vitest';
import { hostNameOf } from '../../shared/aws/ecs-hosts.ts';
import { createEcsFleetSync } from '../../shared/fleet/ecs-fleet-sync.ts';
import { endpointsOf } from '../../shared/deploy/endpoints.ts';
import type { Host, Pod, Service } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { CLUSTER, FakeEcs, INSTANCE, REGION } from './ecs-fleet-fake.ts';

const fake = new FakeEcs();
const HOST = hostNameOf(INSTANCE);
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/shop/web@sha256:1';
let t: TestTable;

async function boundPod(name: string, readinessProbe?: Record<string, unknown>): Promise<Pod> {
  const host = (await t.store.get<Host>({ kind: 'Host', project: '', name: HOST }))!;
  const pod = await t.store.create<Pod>({
    kind: 'Pod',
    metadata: { name, project: 'shop', labels: { app: 'web', deploymentconfig: 'web', deployment: 'web-1' } },
    spec: {
      containers: [{
        name: 'web', image: IMAGE, env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: {}, limits: {} },
        ...(readinessProbe ? { readinessProbe: { initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...readinessProbe } } : {}),
      }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 10,
    } as Pod['spec'],
    status: { phase: 'Pending', conditions: [], restartCount: 0 },
  });
  await bindPod(new DynamoBindingStore({ client: t.client, tableName: t.tableName }), { pod, host, request: podRequest(pod) });
  return pod;
}

const ready = async (name: string) => (await t.store.get<Pod>({ kind: 'Pod', project: 'shop', name }))!;
const readyOf = (p: Pod) => p.status.conditions.find((c) => c.type === 'Ready')?.status;

let pass: () => Promise<unknown>;

beforeEach(async () => {
  fake.tasks.splice(0);
  t = await freshTable();
  await t.store.create({ kind: 'Project', metadata: { name: 'shop', project: '' }, spec: {} });
  pass = createEcsFleetSync({ store: t.store, bindings: new DynamoBindingStore({ client: t.client, tableName: t.tableName }), client: fake.client(), cluster: CLUSTER, region: REGION });
  await pass(); // the host
});

describe('readiness of a pod on ECS', () => {
  it('comes when DescribeTasks reports the container HEALTHY, and goes when it reports UNHEALTHY', async () => {
    await boundPod('web-1-aaaaa', { httpGet: { path: '/healthz', port: 8080 } });
    await pass();
    const [task] = fake.tasks;
    expect(task).toBeDefined();

    fake.run(task!.taskArn!, { image: IMAGE, healthStatus: 'UNKNOWN' });
    await pass();
    let pod = await ready('web-1-aaaaa');
    expect([pod.status.phase, readyOf(pod)]).toEqual(['Running', 'False']);

    fake.run(task!.taskArn!, { image: IMAGE, healthStatus: 'HEALTHY' });
    await pass();
    pod = await ready('web-1-aaaaa');
    expect([pod.status.phase, readyOf(pod)]).toEqual(['Running', 'True']);
    expect(pod.status.readySince).toBeDefined();
    const svc = { spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } } as unknown as Service;
    expect(endpointsOf(svc, [pod])).toHaveLength(1);

    fake.run(task!.taskArn!, { image: IMAGE, healthStatus: 'UNHEALTHY' });
    await pass();
    pod = await ready('web-1-aaaaa');
    expect(readyOf(pod)).toBe('False');
    expect(pod.status.conditions.find((c) => c.type === 'Ready')?.message).toMatch(/health check/);
    expect(endpointsOf(svc, [pod])).toEqual([]);
  });

  it('of a pod without a readiness probe comes when its task runs (ECS reports UNKNOWN: no health check)', async () => {
    await boundPod('web-1-bbbbb');
    await pass();
    fake.run(fake.tasks[0]!.taskArn!, { image: IMAGE, healthStatus: 'UNKNOWN' });
    await pass();
    expect(readyOf(await ready('web-1-bbbbb'))).toBe('True');
  });
});
