// Starts the engines the tests share: one DynamoDB Local (in memory; each test file makes its
// own table in it), Docker Engine (started with Berth's network flags when none answers, and
// left running for later runs), the source-fetch image and a Distribution registry on a loopback port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { TestProject } from 'vitest/node';
import { ensureGitImage } from '../../images/git.ts';
import { ensureServiceProxyImage } from '../../images/build.ts';
import { BUSYBOX, DOCKER, HAPROXY, HTTP_CLIENTS, JAVA, MMDEBSTRAP, REGISTRY, ensurePrerequisites } from '../../agents/up/prerequisites.ts';
import { ensureDockerd } from '../../shared/local/dockerd.ts';
import { startDynamoLocal, type DynamoLocal } from '../../shared/local/dynamodb-local.ts';
import { freePort, portOpen } from '../../shared/local/ports.ts';
import { startRegistry, type LocalRegistry } from '../../shared/local/registry.ts';

let engine: DynamoLocal | undefined;
let registry: LocalRegistry | undefined;
let registryDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const say = (line: string) => console.log(`[test setup] ${line}`);
  ensurePrerequisites([JAVA, DOCKER, REGISTRY, MMDEBSTRAP, HAPROXY, HTTP_CLIENTS, BUSYBOX], say);
  const [dynamo] = await Promise.all([startDynamoLocal({ port: await freePort() }), ensureDockerd({ say, detached: true })]);
  engine = dynamo;
  // Every build clones its git source in this image, and `npm run up` makes it before it says
  // ready: made once here, on a fresh machine, no test depends on another having made it first.
  await ensureGitImage(new Docker({ socketPath: '/var/run/docker.sock' }), say);
  // The Services' proxies (HAProxy from Debian's package), as `npm run up` makes it: once here for every test.
  await ensureServiceProxyImage(new Docker({ socketPath: '/var/run/docker.sock' }), say);
  registryDir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  registry = await startRegistry({ port: await freePort(), dir: registryDir });
  project.provide('dynamoEndpoint', engine.endpoint);
  project.provide('registryHost', registry.host);
}

export async function teardown(): Promise<void> {
  await Promise.all([engine?.stop(), registry?.stop()]);
  if (registryDir) rmSync(registryDir, { recursive: true, force: true });
  await untagGoneRegistries(new Docker({ socketPath: '/var/run/docker.sock' })).catch((err) => console.log(`[test teardown] untagging images failed: ${(err as Error).message}`));
}

/**
 * Takes from the engine the tags that name a loopback registry no longer answering: the tests'
 * registries and their platforms' (`npm run up` in the e2e tests) are gone after the run, and
 * their tags would otherwise pile up run after run. A tag's image goes with its last tag unless
 * a container uses it; nothing is forced.
 */
async function untagGoneRegistries(docker: Docker): Promise<void> {
  const byPort = new Map<number, string[]>();
  for (const image of await docker.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      const port = /^127\.0\.0\.1:(\d+)\//.exec(tag)?.[1];
      if (!port) continue;
      const tags = byPort.get(Number(port)) ?? [];
      byPort.set(Number(port), tags);
      tags.push(tag);
    }
  }
  for (const [port, tags] of byPort) {
    if (await portOpen(port)) continue;
    for (const tag of tags) await docker.getImage(tag).remove().catch(() => undefined);
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** 127.0.0.1:<port> of the test registry. */
    registryHost: string;
  }
}
