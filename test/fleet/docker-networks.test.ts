// ProjectNetworks against the real Docker Engine: many pods of one project starting at once (as
// after a restart of the platform) share one network, and duplicates an earlier race left on the
// engine (it checks names without a lock: both creations succeed, and every later use of the name
// is then refused as ambiguous) are merged into one; a project that keeps its network (an idled
// one) keeps it empty until it no longer does, and then a prune removes it.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectNetworks } from '../../shared/fleet/docker-networks.ts';
import { projectNetworkName, projectNetworkSpec } from '../../shared/fleet/project-network.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const owner = `fleet-nets-${randomBytes(4).toString('hex')}`;
const networks = new ProjectNetworks(docker, owner);
const named = async (name: string) => (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);

afterAll(async () => {
  for (const o of [owner, `${owner}-kept`]) for (const n of await docker.listNetworks({ filters: { label: [`berth.io/owner=${o}`] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
});

describe('ProjectNetworks.ensure', () => {
  it('made by many pods at once, the project has one network', async () => {
    for (const project of ['burst-a', 'burst-b', 'burst-c', 'burst-d']) {
      const names = await Promise.all(Array.from({ length: 16 }, () => networks.ensure(project)));
      expect(new Set(names)).toEqual(new Set([projectNetworkName(project, owner)]));
      expect(await named(names[0]!)).toHaveLength(1);
    }
  });

  it('merges duplicates of its name left on the engine, keeping one', async () => {
    const spec = { ...projectNetworkSpec('twice', owner), CheckDuplicate: false };
    await docker.createNetwork(spec);
    await docker.createNetwork(spec);
    const name = projectNetworkName('twice', owner);
    expect(await named(name)).toHaveLength(2); // the premise: the engine took both
    expect(await networks.ensure('twice')).toBe(name);
    expect(await named(name)).toHaveLength(1);
    expect((await docker.getNetwork(name).inspect()).Name).toBe(name);
  });
});

describe('ProjectNetworks with a project that keeps its network', () => {
  it('keeps the empty network while the project says so; the next prune removes it once it does not', async () => {
    const keeping = new Set(['idled']);
    // An owner of its own: the networks above are not this test's.
    const own = `${owner}-kept`;
    const kept = new ProjectNetworks(docker, own, async (project) => keeping.has(project));
    const name = await kept.ensure('idled');
    const id = (await named(name))[0]!.Id;
    await kept.ensure('busy-then-gone');
    expect(await kept.releaseIfUnused('idled')).toBe(false);
    expect(await kept.prune()).toBe(1); // busy-then-gone: nobody keeps it
    expect(kept.keeping).toBe(true);
    expect((await named(name)).map((n) => n.Id)).toEqual([id]);
    // Its pods come back to the same network.
    expect(await kept.ensure('idled')).toBe(name);
    expect((await named(name)).map((n) => n.Id)).toEqual([id]);
    keeping.delete('idled'); // woken and gone, deleted, expired
    expect(await kept.prune()).toBe(1);
    expect(kept.keeping).toBe(false);
    expect(await named(name)).toEqual([]);
    expect(await named(projectNetworkName('busy-then-gone', own))).toEqual([]);
  });
});
