// The build wiring's pure parts: the builder images variable, and the clear refusals when a
// variable the stack should give is missing.
import { describe, expect, it } from 'vitest';
import { builderImages, ecsBuildLauncher, platformReconcilers } from '../../functions/wire-builds.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';

describe('builderImages (BERTH_BUILDER_IMAGES)', () => {
  it.each([
    ['unset', undefined, []],
    ['empty', '', []],
    ['one', 'python=1.dkr.ecr.eu-west-1.amazonaws.com/berth/s2i/python:latest', [{ name: 'python', image: '1.dkr.ecr.eu-west-1.amazonaws.com/berth/s2i/python:latest' }]],
    ['two, with spaces and a trailing comma', ' python=r/berth/s2i/python:latest , nodejs=r/berth/s2i/nodejs:latest,', [
      { name: 'python', image: 'r/berth/s2i/python:latest' },
      { name: 'nodejs', image: 'r/berth/s2i/nodejs:latest' },
    ]],
  ])('%s', (_name, value, images) => {
    expect(builderImages({ BERTH_BUILDER_IMAGES: value })).toEqual(images);
  });

  it.each(['python', '=r/berth/s2i/python', 'python='])('refuses "%s", naming it', (value) => {
    expect(() => builderImages({ BERTH_BUILDER_IMAGES: value })).toThrow(`BERTH_BUILDER_IMAGES: "${value}" is not name=image`);
  });
});

describe('missing variables', () => {
  const full = { BERTH_CLUSTER: 'c', BERTH_BUILD_CAPACITY_PROVIDER: 'p', BERTH_BUILDER_TASK_DEFINITION: 'berth-builder', BERTH_BUILD_SCOPE_ROLE_ARN: 'arn:aws:iam::1:role/scope' };

  it.each(Object.keys(full))('the ECS launcher refuses to start without %s', (name) => {
    expect(() => ecsBuildLauncher({ ...full, [name]: undefined })).toThrow(`${name} is not set: the build reconciler runs builder tasks in the Berth cluster`);
  });

  it('the reconcilers refuse to start without the registry', () => {
    expect(() => platformReconcilers({ store: {} as ObjectStore, builds: { logs: {} as never, sources: {} as never } }, full)).toThrow(
      "BERTH_REGISTRY is not set: a deleted ImageStream's ECR repository goes with it",
    );
  });

  it('the reconcilers refuse to start without the apps domain (route admission gives default hosts under it)', () => {
    const env = { ...full, BERTH_REGISTRY: '1.dkr.ecr.eu-west-1.amazonaws.com', TABLE_NAME: 't', AWS_REGION: 'eu-west-1' };
    expect(() => platformReconcilers({ store: {} as ObjectStore, builds: { logs: {} as never, sources: {} as never } }, env)).toThrow(
      'BERTH_APPS_DOMAIN is not set: routes get their default host under the apps domain',
    );
    const names = platformReconcilers({ store: {} as ObjectStore, builds: { logs: {} as never, sources: {} as never } }, { ...env, BERTH_APPS_DOMAIN: 'apps.example.com' }).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['deploymentconfigs', 'replication', 'scheduler', 'host-lifecycle', 'endpoints', 'route-admission', 'image-retention', 'image-prune']));
  });

  it('the reconcilers refuse to start without the sources bucket', () => {
    expect(() => platformReconcilers({ store: {} as ObjectStore, builds: undefined }, full)).toThrow(/^BERTH_SOURCES_BUCKET is not set/);
  });
});
