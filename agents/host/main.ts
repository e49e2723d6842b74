// Runs the host agent of one more Docker Engine, so that it joins the local fleet:
//   npx tsx agents/host/main.ts --name host-2 --socket /run/berth/docker-2.sock [--services | --cluster-ips]
// The state table is the platform's: DYNAMODB_ENDPOINT (DynamoDB Local of `npm run up`,
// http://127.0.0.1:7800 by default) and TABLE_NAME (berth). Pods' Secret values are opened with
// the platform's key (PAAS_HOME/secrets.key) and their files kept under PAAS_HOME/pod-files.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { PLATFORM_REGISTRY_USER, platformRegistryPassword } from '../../shared/local/registry-auth.ts';
import { SHARED_PROJECT } from '../../shared/model/reserved-names.ts';
import { LoopDisks } from '../../shared/volumes/loop-disks.ts';
import Docker from 'dockerode';
import { pino } from 'pino';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DynamoBindingStore } from '../../shared/scheduler/dynamo-binding.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocalSecretBox } from '../../shared/secrets/local.ts';
import { imageCacheBudgetBytes } from '../../shared/images/cache-plan.ts';
import { startHostAgent } from './agent.ts';
import { platformNetworkOwner } from '../../shared/fleet/project-network.ts';
import { ensureServiceProxyImage } from '../../images/build.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      socket: { type: 'string', default: '/var/run/docker.sock' },
      address: { type: 'string', default: '127.0.0.1' },
      cpu: { type: 'string' },
      memory: { type: 'string' },
      services: { type: 'boolean', default: false },
      'cluster-ips': { type: 'boolean', default: false },
    },
  });
  if (!values.name || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(values.name)) {
    throw new Error('--name is required and must be a DNS label, e.g. --name host-2');
  }
  const endpoint = process.env.DYNAMODB_ENDPOINT || 'http://127.0.0.1:7800';
  const client = createDynamoClient({ endpoint });
  const tableName = process.env.TABLE_NAME || 'berth';
  const logger = pino({ level: process.env.LOG_LEVEL || 'info' });
  const home = process.env.PAAS_HOME || join(homedir(), '.berth');
  // The platform's registry: BERTH_REGISTRY_HOST, else `npm run up`'s on this machine (its port,
  // PAAS_REGISTRY_PORT, 7500 by default) when PAAS_HOME holds its login.
  const registryHost = process.env.BERTH_REGISTRY_HOST || (platformRegistryPassword(home) ? `127.0.0.1:${process.env.PAAS_REGISTRY_PORT || '7500'}` : undefined);
  const docker = new Docker({ socketPath: values.socket });
  const agent = await startHostAgent({
    store: new DynamoObjectStore({ client, tableName }),
    bindings: new DynamoBindingStore({ client, tableName }),
    docker,
    hostName: values.name,
    socketPath: values.socket!,
    address: values.address,
    leaseMs: Number(process.env.PAAS_HOST_LEASE_MS || 2000),
    ...(values.cpu && values.memory ? { capacity: { cpu: values.cpu, memory: values.memory } } : {}),
    // The platform (its table) and the host name own this engine's pod containers; the platform its project networks.
    owner: createHash('sha256').update(`${endpoint} ${tableName} ${values.name}`).digest('hex').slice(0, 16),
    networkOwner: platformNetworkOwner(endpoint, tableName),
    // --services: the Services' proxies on this engine, by name; --cluster-ips: also at their cluster IPs (an engine on a
    // machine of its own: two engines of one kernel cannot both hold a project's /25).
    ...(values.services || values['cluster-ips'] ? { services: { image: await ensureServiceProxyImage(docker, (line) => logger.info(line)), clusterIPs: values['cluster-ips'] } } : {}),
    // The local registry (npm run up's): which of its images are whose.
    ...(registryHost ? { images: { host: registryHost, prefix: '', shared: ['berth', SHARED_PROJECT] } } : {}),
    // Its pulls use the platform's login (PAAS_HOME/registry/auth), which the registry requires.
    ...(registryHost && platformRegistryPassword(home) ? { registryAuth: { username: PLATFORM_REGISTRY_USER, password: platformRegistryPassword(home)!, serveraddress: registryHost } } : {}),
    secrets: await LocalSecretBox.fromKeyFile(join(home, 'secrets.key')),
    filesDir: join(home, 'pod-files', values.name),
    // Claims' disks are the machine's (PAAS_HOME/volumes, made by the platform), mounted here when a pod needs one.
    volumes: new LoopDisks(join(home, 'volumes')),
    // The engine keeps at most PAAS_IMAGE_CACHE_GB of the platform's images.
    imageCache: { budgetBytes: imageCacheBudgetBytes(process.env) },
    logger,
  });
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: Error) => {
  console.error(`host agent: ${err.message}`);
  process.exit(2);
});
