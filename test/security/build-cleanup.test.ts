// Attack: a stranger names their project so that the clean-up of their own killed build takes
// another project's containers with it. Project `shop` and build `web-3` once meant "every
// container named berth-s2i-shop_web-3-…", which is also the name of a pod container of project
// `s2i-shop` (berth-<project>_<pod>). Clean-up goes by the labels a build's own containers carry
// (project and build), so only they are removed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStepContainers } from '../../shared/builds/s2i/docker.ts';
import { stepContainerName, stepLabels } from '../../shared/builds/s2i/spec.ts';
import { DockerPods, removeOwnedContainers } from '../../shared/fleet/docker-pods.ts';
import { GIT_IMAGE, ensureGitImage } from '../../images/git.ts';
import { docker } from '../builds/support.ts';

const attacker = `shop${randomBytes(3).toString('hex')}`;
const victim = `s2i-${attacker}`;
const owner = `sec-cleanup-${attacker}`;
const pods = new DockerPods(docker, { owner });

beforeAll(async () => {
  await ensureGitImage(docker);
}, 600_000);

afterAll(async () => {
  for (const c of await docker.listContainers({ all: true })) {
    if (c.Names.some((n) => n.includes(attacker))) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  // The victim pod's project network goes with it.
  await removeOwnedContainers(docker, owner);
});

describe('clean-up after a killed build', () => {
  it('removes that build\'s own step containers and never another project\'s pod named like them', async () => {
    // The victim's pod: container berth-s2i-<attacker>_web-3-assemble-x, a name the old prefix matched.
    await pods.ensurePod({
      project: victim, deployment: 'web', revision: 3, pod: 'web-3-assemble-x', image: GIT_IMAGE, env: [], ports: [],
      resources: { cpuMilli: 100, memoryBytes: 32 * 2 ** 20 }, command: ['sleep', '600'],
    });
    // The attacker's build left a step container behind (its agent was killed).
    const build = { project: attacker, name: 'web-3' };
    const left = await docker.createContainer({ Image: GIT_IMAGE, Cmd: ['true'], name: stepContainerName('assemble', build), Labels: stepLabels(build) });

    expect(await removeStepContainers(docker, attacker, 'web-3')).toBe(1);

    await expect(left.inspect()).rejects.toMatchObject({ statusCode: 404 });
    const victimPod = await pods.inspectPod(victim, 'web-3-assemble-x');
    expect(victimPod?.state).toBe('running');
  }, 120_000);
});
