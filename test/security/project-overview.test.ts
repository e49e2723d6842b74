// Attack surface: the CLI's views of a whole project (berth status, berth get all) and KIND/NAME
// targets. A stranger who just got an account asks them about another tenant's project, through
// the real CLI and API: every one is refused the same way whether or not the project exists,
// shows nothing of it, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../support/dynamo.ts';
import { PROJECT, startBuildCli, type BuildHarness } from '../cli/build-harness.ts';

let h: BuildHarness;

beforeAll(async () => {
  h = await startBuildCli({ router: { httpPort: 7088, httpsPort: 7443 } });
  const put = (kind: string, name: string, spec: unknown) => h.api.store.create({ kind, metadata: { name, project: PROJECT }, spec, status: {} } as never);
  await put('Service', 'secret-web', { selector: { app: 'secret-web' }, ports: [{ port: 8080 }] });
  await put('Route', 'secret-web', { host: 'secret-web-demo.apps.localhost', to: { kind: 'Service', name: 'secret-web', weight: 100 } });
  await put('DeploymentConfig', 'secret-web', { replicas: 1, selector: { app: 'secret-web' }, template: { metadata: { labels: { app: 'secret-web' } }, spec: { containers: [{ name: 'web', image: '' }] } } });
  await h.api.user('stranger');
  await h.login('stranger');
  await h.berth(['new-project', 'strangers-own'], 'stranger');
});
afterAll(() => h.close());

describe("a stranger and another tenant's project", () => {
  it.each([
    [['status']],
    [['get', 'all']],
    [['get', 'dc/secret-web']],
    [['get', 'dc/secret-web', 'svc/secret-web', 'route/secret-web']],
    [['describe', 'route/secret-web']],
    [['delete', 'route/secret-web']],
  ])('berth %j is refused as for a project that does not exist, shows nothing and changes nothing', async (argv) => {
    const before = await snapshot(h.api);
    const theirs = await h.berth([...argv, '-n', PROJECT], 'stranger');
    const nowhere = await h.berth([...argv, '-n', 'no-such-project'], 'stranger');
    expect(theirs.code).toBe(1);
    expect(theirs.stdout).toBe('');
    expect(theirs.stderr).not.toContain('secret-web');
    expect(theirs.stderr.replaceAll(PROJECT, 'P')).toBe(nowhere.stderr.replaceAll('no-such-project', 'P'));
    expect(await snapshot(h.api)).toEqual(before);
    expect((await h.get('routes', 'secret-web'))?.metadata.name).toBe('secret-web');
  });

  it('its own status shows nothing of the other project', async () => {
    const r = await h.berth(['status', '-n', 'strangers-own'], 'stranger');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('secret-web');
    expect(r.stdout).not.toContain(PROJECT);
  });
});
