// Readiness probes (or, without one, liveness probes) as ECS container health checks: the exact healthCheck each probe kind becomes
// in the task definition, and the commands themselves run for real (here by /bin/sh on this
// machine, against a local server), with every client the image may have, alone: 2xx/3xx pass,
// 4xx/5xx and closed ports fail.
// AWS documentation: Amazon ECS API Reference, "HealthCheck" (command ["CMD-SHELL", …], interval,
// timeout, retries, startPeriod; exit 0 healthy, non-zero unhealthy) and the ECS Developer Guide,
// "Determine Amazon ECS task health using container health checks".
import { execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthCheckOf, taskDefinitionInput } from '../../shared/aws/ecs-pod-spec.ts';
import type { PodSpecForHost } from '../../shared/fleet/types.ts';
import { freePort } from '../../shared/local/ports.ts';
import { probe as probeSchema } from '../../shared/model/deploy-kinds.ts';

const probe = (p: Record<string, unknown>) => probeSchema.parse(p);

describe('a readiness probe as an ECS health check', () => {
  it('is in the task definition of a pod that has one, with timings clamped to what ECS accepts', () => {
    const spec: PodSpecForHost = {
      project: 'demo', deployment: 'web', revision: 1, pod: 'web-1-abcde', image: 'img', env: [], ports: [{ containerPort: 8080 }],
      resources: { cpuMilli: 100, memoryBytes: 2 ** 28 }, readinessProbe: probe({ exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30, initialDelaySeconds: 900 }),
    };
    const td = taskDefinitionInput(spec, { region: 'eu-west-1', uid: 5 });
    expect(td.containerDefinitions![0]!.healthCheck).toEqual({ command: ['CMD', 'test', '-f', '/tmp/ready'], interval: 5, timeout: 2, retries: 10, startPeriod: 300 });
    expect(taskDefinitionInput({ ...spec, readinessProbe: undefined }, { region: 'eu-west-1', uid: 5 }).containerDefinitions![0]!.healthCheck).toBeUndefined();
  });

  it('stands for the liveness probe in a container without a readiness probe; with both, the readiness probe is the one', () => {
    const base: PodSpecForHost = { project: 'demo', deployment: 'worker', revision: 1, pod: 'worker-1-abcde', image: 'img', env: [], ports: [], resources: { cpuMilli: 100, memoryBytes: 2 ** 28 } };
    const liveness = probe({ exec: { command: ['/bin/sh', '-c', 'exec python -m celery -A tasks inspect ping -t 10'] }, initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 30, failureThreshold: 2 });
    const readiness = probe({ tcpSocket: { port: 8080 }, periodSeconds: 7 });
    const check = (over: Partial<PodSpecForHost>) => taskDefinitionInput({ ...base, ...over }, { region: 'eu-west-1', uid: 5 }).containerDefinitions![0]!.healthCheck;
    expect(check({ livenessProbe: liveness })).toEqual({ command: ['CMD', '/bin/sh', '-c', 'exec python -m celery -A tasks inspect ping -t 10'], interval: 20, timeout: 30, retries: 2, startPeriod: 30 });
    expect(check({ livenessProbe: liveness, readinessProbe: readiness })).toEqual(healthCheckOf(readiness));
    expect(check({ livenessProbe: liveness, readinessProbe: readiness })!.interval).toBe(7);
    // Beyond ECS's bounds, clamped as a readiness probe's are.
    expect(check({ livenessProbe: probe({ tcpSocket: { port: 1 }, periodSeconds: 600, timeoutSeconds: 120, failureThreshold: 50, initialDelaySeconds: 1000 }) })).toMatchObject({ interval: 300, timeout: 60, retries: 10, startPeriod: 300 });
  });

  it('httpGet and tcpSocket become shell commands trying each client in turn', () => {
    expect(healthCheckOf(probe({ httpGet: { port: 8080, path: "/it's" }, periodSeconds: 10, timeoutSeconds: 3 }))).toEqual({
      command: ['CMD-SHELL', [
        "curl -fsS -o /dev/null -m 3 'http://127.0.0.1:8080/it'\\''s'",
        "wget -q -O /dev/null -T 3 'http://127.0.0.1:8080/it'\\''s'",
        "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' 'http://127.0.0.1:8080/it'\\''s'",
      ].join(' 2>/dev/null || ')],
      interval: 10, timeout: 3, retries: 3, startPeriod: 0,
    });
    expect(healthCheckOf(probe({ tcpSocket: { port: 5432 } })).command).toEqual(['CMD-SHELL', [
      "bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432'",
      'python3 -c \'import socket; socket.create_connection(("127.0.0.1", 5432), 1)\'',
      'nc -z 127.0.0.1 5432',
    ].join(' 2>/dev/null || ')]);
  });
});

describe('the health check commands, run', () => {
  let server: Server;
  let port: number;
  let closed: number;
  const only = new Map<string, string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : req.url === '/broken' ? 500 : 404;
      // curl passes on the 302 itself; wget and Python follow it.
      if (req.url === '/moved') res.setHeader('Location', '/ok');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    closed = await freePort();
    // A PATH holding the shell and one client: the command must work with just that one.
    for (const tool of ['curl', 'wget', 'python3', 'bash', 'nc']) {
      const dir = mkdtempSync(join(tmpdir(), `berth-hc-${tool}-`));
      for (const bin of ['sh', tool]) {
        const found = await which(bin);
        if (found) symlinkSync(found, join(dir, bin));
      }
      only.set(tool, dir);
    }
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The program's real path (for python3, the interpreter itself rather than a version manager's shim). */
  const which = (bin: string) =>
    new Promise<string | undefined>((resolve) =>
      bin === 'python3'
        ? execFile('python3', ['-c', 'import sys; print(sys.executable)'], (err, out) => resolve(err ? undefined : out.trim()))
        : execFile('sh', ['-c', `command -v ${bin}`], (err, out) => resolve(err ? undefined : out.trim())),
    );
  /** Runs a CMD-SHELL health check as ECS does (`/bin/sh -c`), with PATH holding only `tool` (and sh); its exit code. */
  const run = (command: string[], tool: string) =>
    new Promise<number>((resolve) => {
      expect(command[0]).toBe('CMD-SHELL');
      const child = execFile(join(only.get(tool)!, 'sh'), ['-c', command[1]!], { env: { PATH: only.get(tool)! } }, () => resolve(child.exitCode ?? -1));
    });

  it.each(['curl', 'wget', 'python3'])('httpGet with only %s: 200 and 302 pass, 404, 500 and a closed port fail', async (tool) => {
    if (!(await which(tool))) throw new Error(`${tool} is not installed on this machine`);
    const check = (path: string, p = port) => run(healthCheckOf(probe({ httpGet: { port: p, path } })).command!, tool);
    expect(await check('/ok')).toBe(0);
    expect(await check('/moved')).toBe(0);
    expect(await check('/missing')).not.toBe(0);
    expect(await check('/broken')).not.toBe(0);
    expect(await check('/ok', closed)).not.toBe(0);
  });

  it.each(['bash', 'python3'])('tcpSocket with only %s: an open port passes, a closed one fails', async (tool) => {
    const check = (p: number) => run(healthCheckOf(probe({ tcpSocket: { port: p } })).command!, tool);
    expect(await check(port)).toBe(0);
    expect(await check(closed)).not.toBe(0);
  });
});
