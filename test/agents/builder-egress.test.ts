// Which package-index egress the builder agent picks from its environment: CodeArtifact on AWS
// when the builder task names it, the platform's index container locally, a fixed index on AWS
// without CodeArtifact, none otherwise; and the platform's pip setting is checked.
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { chooseAdapters, chooseEgress, makeEgress } from '../../agents/builder/adapters.ts';
import { CodeArtifactEgress, StaticIndexEgress } from '../../shared/aws/codeartifact-egress.ts';
import { DockerIndexEgress } from '../../shared/builds/docker-egress.ts';
import { buildSettings } from '../../shared/builds/settings.ts';

const AWS = { TABLE_NAME: 't', AWS_REGION: 'eu-west-1', BERTH_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', BERTH_SOURCES_BUCKET: 'b' };
const LOCAL = { TABLE_NAME: 't', PAAS_HOME: '/tmp/home', BERTH_REGISTRY_HOST: '127.0.0.1:7500' };
const CA = { BERTH_CODEARTIFACT_DOMAIN: 'berth', BERTH_CODEARTIFACT_DOMAIN_OWNER: '123456789012', BERTH_CODEARTIFACT_REPOSITORY: 'pypi-store' };
const docker = new Docker({ socketPath: '/nonexistent.sock' });

const pick = (env: NodeJS.ProcessEnv) => chooseEgress(chooseAdapters(env), env, buildSettings(env).pip);

describe('chooseEgress', () => {
  it.each([
    ['AWS with CodeArtifact', { ...AWS, ...CA }, { kind: 'codeartifact', region: 'eu-west-1', domain: 'berth', domainOwner: '123456789012', repository: 'pypi-store' }, CodeArtifactEgress],
    ['AWS with a fixed index', { ...AWS, PAAS_PIP_INDEX_URL: 'https://index.example/simple/' }, { kind: 'static', pip: { indexUrl: 'https://index.example/simple/' } }, StaticIndexEgress],
    ['local with the index container', { ...LOCAL, BERTH_PACKAGE_INDEX_CONTAINER: 'berth-package-index-abc' }, { kind: 'index-container', container: 'berth-package-index-abc', home: '/tmp/home', pip: {} }, DockerIndexEgress],
  ])('%s', (_, env, want, cls) => {
    const choice = pick(env);
    expect(choice).toEqual(want);
    expect(makeEgress(choice, docker)).toBeInstanceOf(cls);
  });

  it.each([
    ['AWS with nothing set', AWS],
    ['local without an index container (PAAS_PACKAGE_INDEX=off)', LOCAL],
    // Locally CodeArtifact is never used: a build network reaches only the index container.
    ['local with CodeArtifact variables', { ...LOCAL, ...CA }],
  ])('%s: no egress, assemble has no network', (_, env) => {
    expect(makeEgress(pick(env), docker)).toBeUndefined();
  });

  it('CodeArtifact half-configured is refused naming what is missing', () => {
    expect(() => pick({ ...AWS, BERTH_CODEARTIFACT_DOMAIN: 'berth' })).toThrow(/BERTH_CODEARTIFACT_DOMAIN_OWNER and BERTH_CODEARTIFACT_REPOSITORY/);
  });

  it.each(['ftp://mirror/simple/', 'not a url', 'file:///srv/wheels'])('PAAS_PIP_INDEX_URL=%s is refused', (raw) => {
    expect(() => buildSettings({ PAAS_PIP_INDEX_URL: raw })).toThrow(/PAAS_PIP_INDEX_URL must be an http\(s\) URL/);
  });
});
