// An agent program (a Node entry under agents/) bundled by local esbuild into one main.mjs and
// uploaded as a CDK asset, for hosts to fetch at boot. Same bundle options as the functions.
import { DockerImage } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { buildSync } from 'esbuild';
import { dirname, join } from 'node:path';
import { esbuildOptions, REPO_ROOT } from '../bundling.ts';
import type { Construct } from 'constructs';

/** Bundles `entry` (relative to the repository) into an asset holding main.mjs and its source map. */
export function agentArtefact(scope: Construct, id: string, entry: string): Asset {
  return new Asset(scope, id, {
    path: join(REPO_ROOT, dirname(entry)),
    bundling: {
      // Never used: local bundling always succeeds or throws, and Berth never bundles in Docker.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync(esbuildOptions(entry, join(outputDir, 'main.mjs')));
          return true;
        },
      },
    },
  });
}
