// The build egress on AWS: the exact CodeArtifact requests the agent sends for one build, and the
// pip settings it derives from the answers. Answers are built from the documented shapes:
// CodeArtifact API Reference, "GetAuthorizationToken" (authorizationToken, expiration) and
// "GetRepositoryEndpoint" (repositoryEndpoint, e.g.
// https://my_domain-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/my_repo/); the
// index URL is the one CodeArtifact User Guide, "Configure and use pip with CodeArtifact",
// gives pip: https://aws:<token>@<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/pypi/<repo>/simple/.
import { CodeartifactClient, GetAuthorizationTokenCommand, GetRepositoryEndpointCommand, ResourceNotFoundException } from '@aws-sdk/client-codeartifact';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CodeArtifactEgress, StaticIndexEgress, codeArtifactIndexUrl } from '../../shared/aws/codeartifact-egress.ts';
import { pipEnv } from '../../shared/builds/egress.ts';

const mock = mockClient(CodeartifactClient);
const ENDPOINT = 'https://berth-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/';
const egress = () => new CodeArtifactEgress({ client: new CodeartifactClient({ region: 'eu-west-1' }), domain: 'berth', domainOwner: '111122223333', repository: 'pypi-store' });

beforeEach(() => mock.reset());

describe('CodeArtifact as the builds\' package index', () => {
  it('asks for a token tied to the build\'s credentials and the PyPI endpoint of the one repository', async () => {
    mock.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: 'eyJ2ZXIiOjEsImlzdSI6MTcwMH0.tok', expiration: new Date('2026-12-02T23:00:00Z') });
    mock.on(GetRepositoryEndpointCommand).resolves({ repositoryEndpoint: ENDPOINT });
    const network = await egress().open();
    expect(mock.commandCalls(GetAuthorizationTokenCommand).map((c) => c.args[0].input)).toEqual([{ domain: 'berth', domainOwner: '111122223333', durationSeconds: 0 }]);
    expect(mock.commandCalls(GetRepositoryEndpointCommand).map((c) => c.args[0].input)).toEqual([{ domain: 'berth', domainOwner: '111122223333', repository: 'pypi-store', format: 'pypi' }]);
    expect(network.mode).toBe('bridge');
    expect(network.env).toEqual([{ name: 'PIP_INDEX_URL', value: 'https://aws:eyJ2ZXIiOjEsImlzdSI6MTcwMH0.tok@berth-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/' }]);
  });

  it('a repository CodeArtifact does not know fails the build with its reason', async () => {
    mock.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: 't' });
    mock.on(GetRepositoryEndpointCommand).rejects(new ResourceNotFoundException({ message: 'Repository pypi-store not found', $metadata: { httpStatusCode: 404 } }));
    await expect(egress().open()).rejects.toThrow('Repository pypi-store not found');
  });

  it.each([
    [ENDPOINT, 'a/b', 'https://aws:a%2Fb@berth-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/'],
    [ENDPOINT.slice(0, -1), 't', 'https://aws:t@berth-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/'],
  ])('the index URL of %s with token %s is %s (the token escaped)', (endpoint, token, want) => {
    expect(codeArtifactIndexUrl(endpoint, token)).toBe(want);
  });
});

describe('pip settings from the platform', () => {
  it('a plain-HTTP index is trusted by its host name; an HTTPS one needs no trust', () => {
    expect(pipEnv({ indexUrl: 'http://index.internal:8080/simple/' })).toEqual([{ name: 'PIP_INDEX_URL', value: 'http://index.internal:8080/simple/' }, { name: 'PIP_TRUSTED_HOST', value: 'index.internal' }]);
    expect(pipEnv({ indexUrl: 'https://index.example/simple/' })).toEqual([{ name: 'PIP_INDEX_URL', value: 'https://index.example/simple/' }]);
    expect(pipEnv({ indexUrl: 'https://index.example/simple/', trustedHost: 'index.example' })).toHaveLength(2);
    expect(pipEnv({})).toEqual([]);
  });

  it('a fixed index runs on the build host\'s bridge with those settings', async () => {
    const n = await new StaticIndexEgress(pipEnv({ indexUrl: 'https://index.example/simple/' })).open();
    expect(n).toMatchObject({ mode: 'bridge', env: [{ name: 'PIP_INDEX_URL', value: 'https://index.example/simple/' }] });
  });
});
