// A platform's host side on the real Docker Engine and DynamoDB Local, for the tests of
// Services' addresses and proxies: the API (projects and Services made through it, cluster IPs
// allocated there), a host agent running pods and the Services' proxies, the endpoints
// reconciler run on demand, and a way to run a command in a pod and read what it printed.
import { retryOnConflict } from '../../shared/store/patch.ts';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { startHostAgent, type HostAgent } from '../../agents/host/agent.ts';
import { ensureBuilderImages, ensureServiceProxyImage } from '../../images/build.ts';
import { endpointsReconciler } from '../../shared/deploy/endpoints.ts';
import { removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { podContainerName } from '../../shared/fleet/pod-container.ts';
import type { Host, Pod, Service } from '../../shared/model/objects.ts';
import { podRequest } from '../../shared/model/pods.ts';
import { refOf } from '../../shared/model/types.ts';
import { bindPod } from '../../shared/scheduler/bind.ts';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { collect, eachObject } from '../../shared/store/each.ts';
import { until } from '../support/until.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { execOutput } from '../security/net-probe.ts';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** A pod's server: answers every GET with the pod's WHO, on $PORT (8080 by default). */
export const WHO_SERVER = `
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = os.environ["WHO"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("", int(os.environ.get("PORT", "8080"))), H).serve_forever()
`;

/** Fetches each URL (after the shell expands it) from inside a pod; prints one line per URL: the body or `ERR <reason>`. */
const FETCH = `
import sys, urllib.request
for u in sys.argv[1:]:
    try:
        print(urllib.request.urlopen(u, timeout=3).read().decode())
    except Exception as e:
        print("ERR", type(e).__name__)
`;

export interface ServiceHarness {
  api: TestApi;
  readonly agent: HostAgent;
  host: string;
  networkOwner: string;
  /** What a restart of `npm run up` does to the host side: the agent stops, its pods, proxies and networks are removed, a new agent starts. */
  restart(): Promise<void>;
  image: string;
  /** A new user's project, made through the API (so with its UID block); the user's token. */
  project(name: string): Promise<string>;
  /** Creates a Service through the API; the stored object. */
  service(token: string, project: string, name: string, spec: Record<string, unknown>): Promise<Service>;
  /** Creates a pod bound to this host; `ready: false` gives it a readiness probe that never passes. */
  pod(project: string, name: string, opts: { labels?: Record<string, string>; who?: string; ready?: boolean; command?: string[]; image?: string; env?: Record<string, string>; port?: { containerPort: number; name?: string } }): Promise<Pod>;
  /** Runs the endpoints reconciler over the project's Services and tells the host agent (as the platform's stream does). */
  endpoints(project: string): Promise<void>;
  /** What `sh -c` of the fetch script over `urls` printed in the pod's container, line by line. */
  fetchFrom(project: string, pod: string, urls: string[]): Promise<string[]>;
  /** What a command printed in the pod's container (stdout and stderr). */
  run(project: string, pod: string, cmd: string[]): Promise<string>;
  stop(): Promise<void>;
}

export { until };

/** A host agent with Service proxies on this engine, over `existing` (an API a test made already) or a new test API. */
export async function startServiceHarness(existing?: TestApi): Promise<ServiceHarness> {
  const tag = randomBytes(3).toString('hex');
  const host = `svc-${tag}`;
  const networkOwner = `svc-net-${tag}`;
  const image = await ensureBuilderImages(docker, { variant: 'test', log: () => {} });
  const proxyImage = await ensureServiceProxyImage(docker, () => {});
  const api = existing ?? (await testApi());
  const bindings = new DynamoBindingStore({ client: api.client, tableName: api.tableName });
  const start = () => startHostAgent({
    store: api.store,
    bindings,
    docker,
    hostName: host,
    socketPath: '/var/run/docker.sock',
    leaseMs: 500,
    syncMs: 300,
    drainMs: 0,
    capacity: { cpu: '4', memory: '4Gi' },
    owner: host,
    networkOwner,
    services: { image: proxyImage },
    warmSandboxes: true,
  });
  let agent = await start();
  const endpoints = endpointsReconciler({ store: api.store });
  let n = 0;

  const run = async (project: string, pod: string, cmd: string[]): Promise<string> => (await execOutput(docker, podContainerName(project, pod), cmd)).text;

  return {
    api,
    get agent() {
      return agent;
    },
    host,
    networkOwner,
    async restart() {
      await agent.stop();
      await removeOwnedContainers(docker, host, networkOwner);
      agent = await start();
    },
    image,
    async project(name) {
      const token = await api.user(`u${++n}-${tag}`);
      const made = await api.call('POST', '/api/v1/projects', token, { metadata: { name }, spec: {} });
      if (made.status !== 201) throw new Error(`project ${name}: ${made.status} ${JSON.stringify(made.body)}`);
      return token;
    },
    async service(token, project, name, spec) {
      const made = await api.call('POST', `/api/v1/projects/${project}/services`, token, { metadata: { name }, spec });
      if (made.status !== 201) throw new Error(`service ${name}: ${made.status} ${JSON.stringify(made.body)}`);
      return made.body as Service;
    },
    async pod(project, name, opts) {
      const probe = opts.ready === false ? { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } } : {};
      const p = await api.store.create<Pod>({
        kind: 'Pod',
        metadata: { name, project, labels: opts.labels ?? {} },
        spec: {
          containers: [{ name: 'c', image: opts.image ?? image, ...(opts.image && !opts.command ? {} : { command: opts.command ?? ['python3', '-c', WHO_SERVER] }), env: [{ name: 'WHO', value: opts.who ?? name }, { name: 'PORT', value: String(opts.port?.containerPort ?? 8080) }, ...Object.entries(opts.env ?? {}).map(([k, v]) => ({ name: k, value: v }))], ports: [opts.port ?? { containerPort: 8080 }], resources: { requests: { cpu: '100m', memory: '64Mi' } }, ...probe }],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 5,
        } as never,
        status: { phase: 'Pending', conditions: [] },
      });
      // The host agent may be writing the Host meanwhile (a pod released): read it again and bind, as the scheduler does.
      const bound = await retryOnConflict(async () => {
        const h = (await api.store.get<Host>({ kind: 'Host', project: '', name: host }))!;
        return (await bindPod(bindings, { pod: p, host: h, request: podRequest(p) })).pod as Pod;
      });
      agent.kick({ project, name });
      return bound;
    },
    async endpoints(project) {
      for (const s of await collect(eachObject<Service>(api.store, 'Service', project))) await endpoints.reconcile(refOf(s));
      agent.kickServices(project);
    },
    async fetchFrom(project, pod, urls) {
      const out = await run(project, pod, ['sh', '-c', `exec python3 -c '${FETCH}' ${urls.join(' ')}`]);
      return out.trim().split('\n');
    },
    run,
    async stop() {
      await agent.stop();
      await removeOwnedContainers(docker, host, networkOwner);
    },
  };
}
