// A project and one ready simulated host of 4 cores and 4 GiB, nothing requested on it: where the
// deploy controllers' tests place their pods.
import type { Host } from '../../shared/model/objects.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';

export async function projectWithHost(store: ObjectStore, project: string, host = 'h1'): Promise<void> {
  await store.create({ kind: 'Project', metadata: { name: project, project: '' }, spec: {} });
  await store.create<Host>({
    kind: 'Host',
    metadata: { name: host, project: '' },
    spec: { provider: 'simulated', address: '127.0.0.1', capacity: { cpu: '4000m', memory: '4096Mi' }, unschedulable: false },
    status: { allocatable: { cpuMilli: 4000, memoryBytes: 4096 * 2 ** 20 }, requested: { cpuMilli: 0, memoryBytes: 0 }, ready: true },
  });
}
