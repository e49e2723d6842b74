// Which login goes with a pull: the platform registry's, for that registry's images only.
import type { RegistryAuth } from './ports.ts';

/**
 * The login to pull `image` with: the platform registry's (ECR on AWS), only for an image in that
 * registry, so that no other registry is ever sent its credentials.
 * @example pullAuthFor('1.dkr.ecr.eu-west-1.amazonaws.com/berth/s2i/python:latest', ecrLogin) // ecrLogin
 */
export function pullAuthFor(image: string, auth: RegistryAuth | undefined): RegistryAuth | undefined {
  if (!auth) return undefined;
  const host = auth.serveraddress.replace(/^[a-z]+:\/\//, '').split('/')[0];
  return image.includes('/') && image.split('/')[0] === host ? auth : undefined;
}
