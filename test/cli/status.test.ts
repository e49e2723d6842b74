// berth status through the real API: each app from its route to its service, DeploymentConfig,
// pods ready and last build, with the routers' port in the URL; warnings for a failing build, a
// crash-looping pod, a DC without a route, a route to nothing. (A stranger's view: test/security/project-overview.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

async function put(kind: string, name: string, spec: unknown, status: unknown = {}, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) {
  await h.api.store.create({ kind, metadata: { name, project: PROJECT, labels, annotations }, spec, status } as never);
}

const dcSpec = (name: string, replicas: number) => ({
  replicas,
  selector: { deploymentconfig: name },
  template: { metadata: { labels: { app: name, deploymentconfig: name } }, spec: { containers: [{ name, image: '' }] } },
  triggers: [{ type: 'ConfigChange' }, { type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: [name], from: { kind: 'ImageStreamTag', name: `${name}:latest` } } }],
});
const ready = { conditions: [{ type: 'Ready', status: 'True' }] };

beforeAll(async () => {
  h = await startBuildCli({ router: { httpPort: 7088, httpsPort: 7443 } });
  await put('DeploymentConfig', 'web', dcSpec('web', 2), { latestVersion: 2 });
  await put('Service', 'web', { selector: { deploymentconfig: 'web' }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] });
  await put('Route', 'web', { host: 'web-demo.apps.localhost', to: { kind: 'Service', name: 'web', weight: 100 } });
  await put('BuildConfig', 'web', { source: { git: { uri: 'https://git.example/web.git' } }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'python:3.11' } } }, output: { to: { kind: 'ImageStreamTag', name: 'web:latest' } } });
  await put('Build', 'web-1', {}, { phase: 'Complete', startTimestamp: ago(600), completionTimestamp: ago(590), duration: 10_000 }, { 'berth.io/buildconfig': 'web' }, { 'berth.io/build-number': '1' });
  await put('Build', 'web-2', {}, { phase: 'Failed', reason: 'AssembleFailed', startTimestamp: ago(130), completionTimestamp: ago(120) }, { 'berth.io/buildconfig': 'web' }, { 'berth.io/build-number': '2' });
  await put('Pod', 'web-2-aaaaa', {}, { phase: 'Running', ...ready }, { app: 'web', deploymentconfig: 'web' });
  await put('Pod', 'web-2-bbbbb', {}, { phase: 'Running', reason: 'CrashLoopBackOff', restartCount: 5 }, { app: 'web', deploymentconfig: 'web' });

  await put('DeploymentConfig', 'api', dcSpec('api', 1), { latestVersion: 1 });
  await put('Service', 'api', { selector: { deploymentconfig: 'api' }, ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] });
  await put('BuildConfig', 'api', { source: { binary: {} }, strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: 'python:3.11' } } }, output: { to: { kind: 'ImageStreamTag', name: 'api:latest' } } });
  await put('Pod', 'api-1-ccccc', {}, { phase: 'Running', ...ready }, { app: 'api', deploymentconfig: 'api' });
  await put('Route', 'dangling', { host: 'dangling-demo.apps.localhost', to: { kind: 'Service', name: 'gone', weight: 100 } });
});
afterAll(() => h.close());

describe('berth status', () => {
  it('shows each app from its route to its pods and last build, then the warnings', async () => {
    const r = await h.berth(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        `In project ${PROJECT} on server ${h.server}`,
        '',
        'http://dangling-demo.apps.localhost:7088 (route/dangling)',
        '  to svc/gone, which does not exist',
        '',
        'http://web-demo.apps.localhost:7088 (route/web)',
        '  svc/web - ports 8080',
        '    dc/web deploys istag/web:latest',
        '      bc/web builds https://git.example/web.git on python:3.11',
        '        build #2 failed (AssembleFailed) 2m ago',
        '      revision #2: 1/2 pods ready',
        '',
        'svc/api - ports 8080',
        '  dc/api deploys istag/api:latest',
        '    bc/api builds uploaded source on python:3.11',
        '      no build yet',
        '    revision #1: 1/1 pods ready',
        '',
        '4 warnings:',
        '  * build/web-2 failed (AssembleFailed): see `berth logs build/web-2`',
        '  * pod/web-2-bbbbb is crash-looping (5 restarts): see `berth logs pod/web-2-bbbbb`',
        '  * dc/api has no route: expose it with `berth expose svc/api`',
        '  * route/dangling sends to svc/gone, which does not exist',
        '',
      ].join('\n'),
    );
  });

  it('an empty project says how to start', async () => {
    await h.berth(['new-project', 'empty']);
    const r = await h.berth(['status', '-n', 'empty']);
    expect(r).toEqual({ code: 0, stdout: `In project empty on server ${h.server}\n\nYou have no apps yet: make one with \`berth new-app python~./src\`.\n`, stderr: '' });
  });
});
