// The builder agent image's program: agents/builder bundled into one main.mjs (what the
// Dockerfile copies). No base image can be pulled here, so the bundle is what is tested: it loads
// in a fresh Node with nothing but PATH, refuses a missing variable in one line, and with the
// local environment reaches the table (DynamoDB Local) through the bundled SDK.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBuilder } from '../../images/builder/bundle.ts';
import { freshTable } from '../support/dynamo.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-builder-bundle-'));
let bundle: string;

beforeAll(async () => {
  bundle = await bundleBuilder(join(dir, 'main.mjs'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle as the image would, from an empty directory, with only `env` (and PATH). */
function runBundle(env: Record<string, string>) {
  const out = spawnSync(process.execPath, [bundle], { cwd: dir, env: { PATH: process.env.PATH!, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('builder agent bundle', () => {
  it('is one minified ESM file with a source map', () => {
    expect(statSync(bundle).size).toBeGreaterThan(500_000);
    expect(statSync(`${bundle}.map`).size).toBeGreaterThan(0);
  });

  it('loads, and without BUILD_* exits 2 with one clear line', () => {
    const { status, stdout, stderr } = runBundle({});
    expect({ status, stdout }).toEqual({ status: 2, stdout: '' });
    expect(stderr).toBe('builder: BUILD_PROJECT is not set: the builder agent runs the one build that BUILD_PROJECT and BUILD_NAME name\n');
  });

  it('in the builder task\'s environment without the sources bucket, names what is missing', () => {
    const { status, stderr } = runBundle({ BUILD_PROJECT: 'demo', BUILD_NAME: 'web-1', TABLE_NAME: 't', AWS_REGION: 'eu-west-1', BERTH_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' });
    expect(status).toBe(2);
    expect(stderr).toBe('builder: BERTH_SOURCES_BUCKET is not set (uploaded sources, on AWS)\n');
  });

  it('with the local environment, reads the table and leaves a build that is not its to run', async () => {
    const t = await freshTable();
    const { status, stdout, stderr } = runBundle({
      BUILD_PROJECT: 'demo', BUILD_NAME: 'web-1', TABLE_NAME: t.tableName, DYNAMODB_ENDPOINT: t.endpoint, PAAS_HOME: dir, BERTH_REGISTRY_HOST: '127.0.0.1:1',
    });
    expect({ status, stdout, stderr }).toEqual({ status: 1, stdout: 'build demo/web-1: not run by this agent\n', stderr: '' });
  });
});
