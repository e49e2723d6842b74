// Attack: a stranger who signed up a minute ago goes after a tenant's flask-psql-redis-celery
// application (the shipped template, instantiated by the victim with the real CLI through the
// API): instantiating or processing the template into the victim's project, reading or listing
// its generated Secret (by API and CLI), and — from a pod of their own project on the real Docker
// Engine — reaching the victim's PostgreSQL and Redis by their Service names (`postgresql`,
// `postgresql.<project>.svc`, …), their cluster IPs or their pods' addresses. All fail; a pod of the victim's own
// project reaches both by name (so the probe can tell), and nothing the stranger gets back holds
// the victim's generated passwords.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages, ensureServiceImage } from '../../images/build.ts';
import { podContainerName } from '../../shared/fleet/pod-container.ts';
import type { RunningPod } from '../../shared/fleet/types.ts';
import type { Pod } from '../../shared/model/objects.ts';
import { LocalSecretBox } from '../../shared/secrets/index.ts';
import { specCodecs } from '../../shared/secrets/codecs.ts';
import { ensureSharedProject } from '../../shared/project/openshift.ts';
import { ensureSharedTemplates } from '../../shared/templates/shared-templates.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type CliHarness } from '../cli/harness.ts';
import { startServiceHarness, until, type ServiceHarness } from '../fleet/service-harness.ts';
import { addressOf, openFrom, targets } from './net-probe.ts';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const tag = randomBytes(4).toString('hex');
const VICTIM = `bank-${tag}`;
const STRANGER = `evil-${tag}`;
const TEMPLATE = 'flask-psql-redis-celery';
const SOURCE = 'SOURCE_REPOSITORY_URL=https://git.example.com/shop.git';
let h: CliHarness;
let sh: ServiceHarness;
let victim: string, stranger: string;
const generated: Record<string, string> = {};
let db: RunningPod, cache: RunningPod, sibling: RunningPod, intruder: RunningPod;

const leaks = (x: unknown) => ['DATABASE_PASSWORD', 'REDIS_PASSWORD'].some((k) => JSON.stringify(x).includes(generated[k]!) || JSON.stringify(x).includes(Buffer.from(generated[k]!).toString('base64')));

/** The labels the DC's pods carry, so that its Services select them. */
async function labelsOf(project: string, dc: string): Promise<Record<string, string>> {
  return project === VICTIM ? (await h.api.call('GET', `/api/v1/projects/${VICTIM}/deploymentconfigs/${dc}`, victim)).body.spec.template.metadata.labels : { name: dc };
}

/** A running pod of the DC on the Service harness's host agent: the container's id. */
async function podOf(project: string, dc: string, image: string, env: Record<string, string>, command?: string[]): Promise<RunningPod> {
  const name = `${dc}-1-${randomBytes(3).toString('hex').slice(0, 5)}`;
  await sh.pod(project, name, { labels: await labelsOf(project, dc), image, env, ...(command ? { command } : {}) });
  await until(`${name} running`, async () => (await h.api.store.get<Pod>({ kind: 'Pod', project, name }))?.status?.phase === 'Running', 120_000);
  return { containerId: (await docker.getContainer(podContainerName(project, name)).inspect()).Id } as RunningPod;
}

beforeAll(async () => {
  const box = await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key'));
  h = await startCli(undefined, { codecs: specCodecs(box) });
  // As `npm run up` does at every start: the shared project, readable by every user, and its templates.
  await ensureSharedProject(h.api.store);
  await ensureSharedTemplates(h.api.store);
  victim = await h.api.user('victim');
  stranger = await h.api.user('stranger');
  for (const u of ['victim', 'stranger']) expect((await h.login(u)).code).toBe(0);
  expect((await h.berth(['new-project', VICTIM], 'victim')).code).toBe(0);
  expect((await h.berth(['new-project', STRANGER], 'stranger')).code).toBe(0);
  const made = await h.berth(['new-app', '--template', TEMPLATE, '-n', VICTIM, '-p', SOURCE], 'victim');
  expect(made.code, made.stderr).toBe(0);
  for (const m of made.stdout.matchAll(/\* (\w+)=(\S+) \(generated\)/g)) generated[m[1]!] = m[2]!;
  expect(Object.keys(generated)).toEqual(expect.arrayContaining(['DATABASE_USER', 'DATABASE_PASSWORD', 'REDIS_PASSWORD']));

  const [builder, postgresql, redis] = await Promise.all([
    ensureBuilderImages(docker, { variant: 'test', log: () => {} }),
    ensureServiceImage(docker, 'postgresql', () => {}),
    ensureServiceImage(docker, 'redis', () => {}),
  ]);
  // The host side as `npm run up` runs it: pods on project networks, a proxy at each Service's cluster IP.
  sh = await startServiceHarness(h.api);
  const idle = ['sleep', 'infinity'];
  db = await podOf(VICTIM, 'postgresql', postgresql, { POSTGRESQL_USER: generated.DATABASE_USER!, POSTGRESQL_PASSWORD: generated.DATABASE_PASSWORD!, POSTGRESQL_DATABASE: 'visits' });
  cache = await podOf(VICTIM, 'redis', redis, { REDIS_PASSWORD: generated.REDIS_PASSWORD! });
  sibling = await podOf(VICTIM, 'flask-psql', builder, {}, idle);
  intruder = await podOf(STRANGER, 'web', builder, {}, idle);
  await sh.endpoints(VICTIM);
}, 600_000);

afterAll(async () => {
  await sh?.stop();
  await h?.close();
});

describe("a stranger and the victim's template application", () => {
  it("the victim's pods answer to the Services' names, and a pod of the same project reaches PostgreSQL and Redis by them", async () => {
    expect(db).toBeDefined();
    const names = targets(['postgresql', `postgresql.${VICTIM}.svc`], [5432]).concat(targets(['redis', `redis.${VICTIM}.svc`], [6379]));
    let open: string[] = [];
    for (let i = 0; i < 60 && open.length < names.length; i++) open = await openFrom(docker, sibling.containerId, names);
    expect(open).toEqual(names.map((t) => `${t.host}:${t.port}`).sort());
  }, 120_000);

  it("a pod of the stranger's project reaches neither by name, project-qualified name, cluster IP or pod address", async () => {
    const [dbAt, cacheAt] = await Promise.all([db, cache].map((p) => addressOf(docker, p.containerId)));
    const clusterIP = async (svc: string) => (await h.api.call('GET', `/api/v1/projects/${VICTIM}/services/${svc}`, victim)).body.spec.clusterIP as string;
    const probes = [
      ...targets(['postgresql', `postgresql.${VICTIM}.svc`, `postgresql.${VICTIM}.svc.cluster.local`, dbAt!.ip, await clusterIP('postgresql')], [5432]),
      ...targets(['redis', `redis.${VICTIM}.svc`, `redis.${VICTIM}.svc.cluster.local`, cacheAt!.ip, await clusterIP('redis')], [6379]),
    ];
    expect(await openFrom(docker, intruder.containerId, probes)).toEqual([]);
  }, 60_000);

  it("cannot instantiate or process the template into the victim's project, by CLI or API", async () => {
    const before = (await h.api.call('GET', `/api/v1/projects/${VICTIM}/secrets/flask-psql`, victim)).body.metadata.resourceVersion;
    const viaCli = await h.berth(['new-app', '--template', TEMPLATE, '-n', VICTIM, '-p', SOURCE, '-p', 'NAME=planted', '-p', 'DATABASE_SERVICE_NAME=planted-db', '-p', 'REDIS_SERVICE_NAME=planted-cache'], 'stranger');
    expect(viaCli.code).toBe(1);
    expect(viaCli.stderr).toMatch(/forbidden|cannot/i);
    const processed = await h.berth(['process', TEMPLATE, '-n', VICTIM, '-p', SOURCE], 'stranger');
    expect(processed.code).toBe(1);
    const shared = (await h.api.call('GET', `/api/v1/projects/openshift/templates/${TEMPLATE}`, stranger)).body;
    const apiTries = await Promise.all([
      h.api.call('POST', `/api/v1/projects/${VICTIM}/processedtemplates`, stranger, { ...shared.spec, parameterValues: { SOURCE_REPOSITORY_URL: 'https://git.example.com/shop.git' } }),
      h.api.call('POST', `/api/v1/projects/${VICTIM}/lists?mode=apply`, stranger, { kind: 'List', items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'flask-psql' }, stringData: { 'database-password': 'chosen-by-stranger' } }] }),
    ]);
    expect(apiTries.map((r) => r.status)).toEqual([403, 403]);
    // Nothing was made or changed: the victim's Secret is as it was, no planted object exists.
    expect((await h.api.call('GET', `/api/v1/projects/${VICTIM}/secrets/flask-psql`, victim)).body.metadata.resourceVersion).toBe(before);
    for (const kind of ['deploymentconfigs', 'secrets', 'services']) {
      const names = (await h.api.call('GET', `/api/v1/projects/${VICTIM}/${kind}`, victim)).body.items.map((o: any) => o.metadata.name);
      expect(names.filter((n: string) => n.startsWith('planted'))).toEqual([]);
    }
  });

  it('cannot read or list its generated Secret, by API or CLI, and no answer carries a password', async () => {
    const answers = await Promise.all([
      h.api.call('GET', `/api/v1/projects/${VICTIM}/secrets/flask-psql`, stranger),
      h.api.call('GET', `/api/v1/projects/${VICTIM}/secrets`, stranger),
      h.api.call('GET', `/api/v1/projects/${VICTIM}/deploymentconfigs/postgresql`, stranger),
    ]);
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403]);
    const cli = await Promise.all([
      h.berth(['get', 'secret', 'flask-psql', '-n', VICTIM, '-o', 'yaml'], 'stranger'),
      h.berth(['describe', 'secret', 'flask-psql', '-n', VICTIM], 'stranger'),
      h.berth(['get', 'secrets', '-n', VICTIM], 'stranger'),
    ]);
    expect(cli.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(leaks([answers, cli])).toBe(false);
  });

  it("the stranger's own instance of the template gets passwords of its own", async () => {
    const mine = await h.berth(['new-app', '--template', TEMPLATE, '-n', STRANGER, '-p', SOURCE], 'stranger');
    expect(mine.code, mine.stderr).toBe(0);
    expect(leaks(mine)).toBe(false);
    const secret = (await h.api.call('GET', `/api/v1/projects/${STRANGER}/secrets/flask-psql`, stranger)).body;
    expect(secret.metadata.name).toBe('flask-psql');
    expect(leaks(secret)).toBe(false);
  });
});
