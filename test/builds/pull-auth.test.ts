// Which pulls get the platform registry's login: only images in that registry (the S2I builder
// images in ECR on AWS); an image anywhere else is pulled without it.
import { describe, expect, it } from 'vitest';
import { pullAuthFor } from '../../shared/builds/agent.ts';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const login = { username: 'AWS', password: 'token', serveraddress: `https://${ECR}` };

describe('pullAuthFor', () => {
  it.each([
    ['an S2I builder image in the platform ECR', `${ECR}/berth/s2i/python:latest`, login],
    ['an image by digest in the platform ECR', `${ECR}/berth/demo/web@sha256:${'a'.repeat(64)}`, login],
    ['an image in another account\'s ECR', '210987654321.dkr.ecr.eu-west-1.amazonaws.com/tools/python:3.11', undefined],
    ['a Docker Hub image by short name', 'python:3.11-slim', undefined],
    ['a public ECR image', 'public.ecr.aws/docker/library/python:3.11-slim', undefined],
    ['a host that only starts like the registry', `${ECR}.evil.example/berth/s2i/python:latest`, undefined],
  ])('%s', (_name, image, auth) => {
    expect(pullAuthFor(image, login)).toEqual(auth);
  });

  it('a serveraddress without a scheme (as a local login may give it) matches too', () => {
    expect(pullAuthFor('127.0.0.1:7500/berth/python:3.11', { ...login, serveraddress: '127.0.0.1:7500' })).toEqual({ ...login, serveraddress: '127.0.0.1:7500' });
  });

  it('no login (the open local registry): nothing to send', () => {
    expect(pullAuthFor(`${ECR}/berth/s2i/python:latest`, undefined)).toBeUndefined();
  });
});
