// Attack surface: the image metadata file an assemble script writes. A stranger (a tenant who
// just got an account) builds with an assemble that claims, through /tmp/.s2i/image_metadata.json,
// to be another project's build, and that tries to exhaust the builder agent with a huge file.
// The image keeps the provenance the platform gives it, and the huge file fails only that build.
// Real DynamoDB Local, Docker Engine and registry; the builder agent's own run of the Build.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBuild, type AgentDeps } from '../../shared/builds/agent.ts';
import { instantiateBuild, type Build } from '../../shared/builds/instantiate.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import { FAKE_SCRIPTS, fakeBuilder } from '../builds/fake-builders.ts';
import { agentDeps, docker, removeProjectImages, tagSuite } from '../builds/support.ts';
import { makeTar } from '../builds/tar-fixtures.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';

const VICTIM = 'alpha';
const STRANGER = 'mallory';
const tag = tagSuite();
let t: TestTable;
let deps: AgentDeps;

async function strangerBuild(name: string, assembleExtra: string): Promise<{ ref: { kind: string; project: string; name: string }; phase: string | undefined }> {
  const builder = await fakeBuilder(tag(`${name}-builder`), { scripts: { ...FAKE_SCRIPTS, assemble: `${FAKE_SCRIPTS.assemble}mkdir -p /tmp/.s2i\n${assembleExtra}\n` } });
  await t.store.create({
    kind: 'BuildConfig',
    metadata: { name, project: STRANGER },
    spec: {
      source: { binary: {} },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: builder }, env: [], incremental: false } },
      output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } },
      triggers: [], runPolicy: 'Serial', successfulBuildsHistoryLimit: 5, failedBuildsHistoryLimit: 5,
    },
  });
  const b = await instantiateBuild(t.store, STRANGER, name, { message: 'test' });
  const ref = { kind: 'Build', project: STRANGER, name: b.metadata.name };
  await patchStatus<Build>(t.store, ref, (cur) => ({ ...cur.status, phase: 'Pending', attempt: 'a1', agent: 'test' }));
  await deps.sources.put(ref, Readable.from(await makeTar([{ name: 'message', body: 'hi' }])), 1024 * 1024);
  return { ref, phase: await runBuild(deps, ref) };
}

beforeAll(async () => {
  t = await freshTable();
  for (const name of [VICTIM, STRANGER]) await t.store.create({ kind: 'Project', metadata: { name, project: '' }, spec: {} });
  deps = agentDeps(t.store, inject('registryHost'), { imageChecks: false });
}, 120_000);

afterAll(async () => {
  await removeProjectImages(inject('registryHost'), STRANGER);
});

describe('a stranger\'s image metadata file', () => {
  it('cannot make its image claim to be another project\'s build', async () => {
    const forged = JSON.stringify({
      labels: [
        { 'io.openshift.build.namespace': VICTIM, 'io.openshift.build.name': 'web-7' },
        { 'io.openshift.build.source-location': 'https://git.alpha.example/web.git', 'io.openshift.build.image': `${VICTIM}/builder` },
        { 'com.example.mine': 'kept' },
      ],
    });
    const { ref, phase } = await strangerBuild('forger', `cat > /tmp/.s2i/image_metadata.json <<'JSON'\n${forged}\nJSON`);
    expect(phase).toBe('Complete');
    const labels = (await docker.getImage(`${inject('registryHost')}/${STRANGER}/forger:latest`).inspect()).Config.Labels ?? {};
    expect(labels).toMatchObject({
      'io.openshift.build.namespace': STRANGER,
      'io.openshift.build.name': ref.name,
      'io.openshift.build.source-location': 'uploaded archive',
      'com.example.mine': 'kept',
    });
    expect(labels['io.openshift.build.image']).not.toContain(VICTIM);
    expect(Object.values(labels).join('\n')).not.toContain(VICTIM);
  }, 180_000);

  it('too large to be labels fails that build only, with the reason, and the agent reads no more of it', async () => {
    const { ref, phase } = await strangerBuild('hoarder', 'head -c 50000000 /dev/zero | tr "\\\\000" "a" > /tmp/.s2i/image_metadata.json');
    expect(phase).toBe('Failed');
    const { status } = (await t.store.get<Build>(ref))!;
    expect(status.reason).toBe('InvalidImageMetadata');
    expect(status.message).toContain('larger than 65536 bytes');
  }, 180_000);
});
