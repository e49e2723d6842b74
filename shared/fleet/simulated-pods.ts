// A simulated host for the host side's tests and the fleet bench: pod containers held in memory, "running" the moment
// they are ensured, so that a test controls exactly what happens (a container that exits, a probe
// that fails) without an engine.
import type { PodContainers } from './ports.ts';
import type { ListedPod, PodSpecForHost, RunningPod } from './types.ts';

interface SimContainer extends ListedPod {
  spec: PodSpecForHost;
}

export class SimulatedPods implements PodContainers {
  private readonly containers = new Map<string, SimContainer>();
  private nextId = 1;
  private nextPort = 30_000;
  /** How many containers were created, ever (restarts included). */
  created = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private key = (project: string, pod: string) => `${project}/${pod}`;

  async ensurePod(spec: PodSpecForHost): Promise<RunningPod> {
    const existing = this.containers.get(this.key(spec.project, spec.pod));
    if (existing && existing.state === 'running' && existing.image === spec.image) return this.view(existing);
    this.created++;
    const c: SimContainer = {
      spec,
      containerId: `sim-${this.nextId++}`,
      hostPorts: spec.ports.map((p) => ({ containerPort: p.containerPort, hostIp: '127.0.0.1', hostPort: this.nextPort++ })),
      state: 'running',
      restartCount: 0,
      startedAt: new Date(this.now()).toISOString(),
      project: spec.project,
      deployment: spec.deployment,
      revision: spec.revision,
      pod: spec.pod,
      image: spec.image,
    };
    this.containers.set(this.key(spec.project, spec.pod), c);
    return this.view(c);
  }

  async inspectPod(project: string, pod: string): Promise<RunningPod | undefined> {
    const c = this.containers.get(this.key(project, pod));
    return c && this.view(c);
  }

  async removePod(project: string, pod: string): Promise<void> {
    this.containers.delete(this.key(project, pod));
  }

  async listPods(): Promise<ListedPod[]> {
    return [...this.containers.values()].map(({ spec: _spec, ...listed }) => ({ ...listed, hostPorts: [...listed.hostPorts] }));
  }

  /** Makes the pod's container exit with `code`, as a crash would. */
  exit(project: string, pod: string, code: number): void {
    const c = this.containers.get(this.key(project, pod));
    if (!c) throw new Error(`no container for ${project}/${pod}`);
    c.state = 'exited';
    c.exitCode = code;
  }

  /** The spec a pod's container was last started with. */
  specOf(project: string, pod: string): PodSpecForHost | undefined {
    return this.containers.get(this.key(project, pod))?.spec;
  }

  private view(c: SimContainer): RunningPod {
    return { containerId: c.containerId, hostPorts: [...c.hostPorts], state: c.state, ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}), restartCount: c.restartCount, ...(c.startedAt ? { startedAt: c.startedAt } : {}) };
  }
}
