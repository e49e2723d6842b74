// podContainerSpec is pure: a pod in, Docker create options out. These tables pin the lockdown
// (UID, capabilities, no-new-privileges, no mounts), the limits, the labels and the ports.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.ts';
import { UID_BASE, podContainerName, podContainerSpec, projectUid } from '../../shared/fleet/pod-container.ts';
import { isProjectNetwork, projectNetworkLabels, projectNetworkName, projectNetworkSpec } from '../../shared/fleet/project-network.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';

function pod(over: Partial<PodSpecForHost> = {}): PodSpecForHost {
  return {
    project: 'shop',
    deployment: 'web',
    revision: 3,
    pod: 'web-3-abcde',
    image: 'registry.local/shop/web@sha256:1234',
    env: [{ name: 'GREETING', value: 'hi' }],
    ports: [{ containerPort: 8080 }],
    resources: { cpuMilli: 250, memoryBytes: 256 * 1024 * 1024 },
    ...over,
  };
}

describe('podContainerSpec', () => {
  it('locks the container down: arbitrary UID in group 0, no capabilities, no-new-privileges, no mounts', () => {
    const spec = podContainerSpec(pod(), { uid: 1_000_770_000 });
    expect(spec.User).toBe('1000770000:0');
    expect(spec.HostConfig).toMatchObject({ CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Privileged: false, ReadonlyRootfs: false, PidsLimit: 512 });
    expect(spec.HostConfig?.CapAdd).toBeUndefined();
    expect(spec.HostConfig?.Binds).toBeUndefined();
    expect(spec.HostConfig?.Mounts).toBeUndefined();
    expect(spec.Volumes).toBeUndefined();
    expect(JSON.stringify(spec)).not.toContain('docker.sock');
  });

  it.each([
    [100, 256 * 1024 * 1024, 100_000_000],
    [250, 64 * 1024 * 1024, 250_000_000],
    [2000, 4 * 1024 * 1024 * 1024, 2_000_000_000],
  ])('%d millicores and %d bytes become NanoCpus %d and Memory', (cpuMilli, memoryBytes, nanoCpus) => {
    const spec = podContainerSpec(pod({ resources: { cpuMilli, memoryBytes } }), { uid: 5000 });
    expect(spec.HostConfig).toMatchObject({ NanoCpus: nanoCpus, Memory: memoryBytes });
  });

  it('labels name the project, deployment, revision and pod, and mark the container managed', () => {
    const spec = podContainerSpec(pod(), { uid: 5000 });
    expect(spec.name).toBe('berth-shop_web-3-abcde');
    expect(spec.Labels).toEqual({
      'berth.io/managed': 'true',
      'berth.io/project': 'shop',
      'berth.io/deployment': 'web',
      'berth.io/revision': '3',
      'berth.io/pod': 'web-3-abcde',
    });
  });

  it('publishes every port on 127.0.0.1 and lets the engine pick the host port; Berth restarts, not Docker', () => {
    const spec = podContainerSpec(pod({ ports: [{ containerPort: 8080 }, { containerPort: 5353, protocol: 'UDP' }] }), { uid: 5000 });
    expect(spec.ExposedPorts).toEqual({ '8080/tcp': {}, '5353/udp': {} });
    expect(spec.HostConfig?.PortBindings).toEqual({
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '5353/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    expect(spec.HostConfig?.RestartPolicy).toEqual({ Name: 'no' });
  });

  it.each([
    ['one port adds PORT', [{ containerPort: 8080 }], [], ['PORT=8080']],
    ['two ports add no PORT', [{ containerPort: 8080 }, { containerPort: 9090 }], [], []],
    ['no ports add no PORT', [], [], []],
    ['an explicit PORT wins', [{ containerPort: 8080 }], [{ name: 'PORT', value: '3000' }], ['PORT=3000']],
  ])('%s', (_what, ports, env, expected) => {
    expect(podContainerSpec(pod({ ports, env }), { uid: 5000 }).Env).toEqual(expected);
  });

  it('passes the command when given and leaves the image default otherwise', () => {
    expect(podContainerSpec(pod({ command: ['python3', '-m', 'http.server', '8080'] }), { uid: 5000 }).Cmd).toEqual(['python3', '-m', 'http.server', '8080']);
    expect(podContainerSpec(pod(), { uid: 5000 })).not.toHaveProperty('Cmd');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses UID %s', (uid) => {
    expect(() => podContainerSpec(pod(), { uid })).toThrow(ValidationError);
  });

  it.each([
    ['zero cpu', { cpuMilli: 0, memoryBytes: 1024 }],
    ['zero memory', { cpuMilli: 100, memoryBytes: 0 }],
  ])('refuses %s', (_what, resources) => {
    expect(() => podContainerSpec(pod({ resources }), { uid: 5000 })).toThrow(ValidationError);
  });
});

describe('podContainerName', () => {
  it('never gives two pods of different projects the same name', () => {
    expect(podContainerName('a-b', 'c')).not.toBe(podContainerName('a', 'b-c'));
  });

  it.each([
    ['project', 'Shop', 'web-1-x'],
    ['project', 'a_b', 'web-1-x'],
    ['project', '', 'web-1-x'],
    ['pod', 'shop', 'web_1'],
    ['pod', 'shop', '../x'],
    ['pod', 'shop', ''],
  ])('refuses a bad %s name (%j, %j)', (field, project, pod) => {
    expect(() => podContainerName(project, pod)).toThrow(expect.objectContaining({ details: [expect.objectContaining({ field })] }));
  });
});

describe('projectUid', () => {
  it.each(['shop', 'default', 'a', 'x'.repeat(63), ''])('gives project %j the same high, block-aligned, non-root UID every time', (project) => {
    const uid = projectUid(project);
    expect(uid).toBe(projectUid(project));
    expect(uid).toBeGreaterThanOrEqual(UID_BASE);
    expect(uid).toBeLessThan(2 ** 31);
    expect(uid % 10_000).toBe(0);
  });

  // A hash can collide (1 in 100,000 per pair); these names are fixed, so the test is stable.
  it('spreads projects over different UID blocks', () => {
    const uids = new Set(Array.from({ length: 20 }, (_, i) => projectUid(`project-${i}`)));
    expect(uids.size).toBe(20);
  });
});

describe('project networks', () => {
  it("a pod's container joins the network it is given, and no other", () => {
    expect(podContainerSpec(pod(), { uid: 5000, network: 'berth-net_shop' }).HostConfig?.NetworkMode).toBe('berth-net_shop');
    expect(podContainerSpec(pod(), { uid: 5000 }).HostConfig).not.toHaveProperty('NetworkMode');
  });

  it.each([
    ['shop', undefined, 'berth-net_shop'],
    ['shop', '3f2a', 'berth-net-3f2a_shop'],
    ['a-b', 'c', 'berth-net-c_a-b'],
  ])('project %s of owner %s has the network %s', (project, owner, name) => {
    expect(projectNetworkName(project, owner)).toBe(name);
    expect(projectNetworkSpec(project, owner)).toMatchObject({ Name: name, Driver: 'bridge', CheckDuplicate: true, EnableIPv6: false });
  });

  it("a network is a project's only when every label says so, owner included", () => {
    const labels = projectNetworkLabels('shop', 'o1');
    expect(isProjectNetwork(labels, 'shop', 'o1')).toBe(true);
    expect(isProjectNetwork(labels, 'shop', 'o2')).toBe(false);
    expect(isProjectNetwork(labels, 'shop')).toBe(false);
    expect(isProjectNetwork(labels, 'other', 'o1')).toBe(false);
    expect(isProjectNetwork({ ...labels, 'berth.io/managed': 'false' }, 'shop', 'o1')).toBe(false);
    expect(isProjectNetwork(projectNetworkLabels('shop'), 'shop')).toBe(true);
  });
});
