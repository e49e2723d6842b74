// `cdk synth` exactly as CI runs it: the real CDK CLI and cdk.json, real esbuild bundling, no AWS
// credentials, no Docker (CDK_DOCKER points at `false`, so any attempt to use it fails), nothing
// reached on the network (no notices, no telemetry, no instance metadata).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/bundling.ts';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'berth-cdk-home-'));
const out = join(home, 'cdk.out');
let stderr = '';

beforeAll(async () => {
  const result = await run(join(REPO_ROOT, 'node_modules/.bin/cdk'), ['synth', '-q', '--no-notices', '-o', out], {
    cwd: REPO_ROOT,
    timeout: 240_000,
    maxBuffer: 16 * 2 ** 20,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CDK_DOCKER: '/bin/false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  stderr = result.stderr;
}, 300_000);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('writes the five stacks, environment-agnostic, with nothing left to look up', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
      missing?: unknown[];
    };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map(([name]) => name).sort()).toEqual(['Berth-Base', 'Berth-ControlPlane', 'Berth-Fleet', 'Berth-Router', 'Berth-State']);
    for (const [, a] of stacks) expect(a.environment).toBe('aws://unknown-account/unknown-region');
    expect(manifest.missing ?? []).toEqual([]);
  });

  it('bundles every function with local esbuild (no Docker)', () => {
    const bundles = readdirSync(out).filter((d) => d.startsWith('asset.') && existsSync(join(out, d, 'index.mjs')));
    expect(bundles.length).toBeGreaterThanOrEqual(4);
    expect(stderr).not.toMatch(/docker/i);
  });

  it('reports cdk-nag\'s AwsSolutions findings for every stack, all of them suppressed with a reason', () => {
    const reports = readdirSync(out).filter((f) => /^AwsSolutions-.*-NagReport\.csv$/.test(f));
    expect(reports).toHaveLength(5);
    for (const f of reports) {
      const rows = readFileSync(join(out, f), 'utf8').trim().split('\n').slice(1);
      const compliance = (r: string) => r.split('","')[2];
      expect(rows.filter((r) => compliance(r) !== 'Compliant' && compliance(r) !== 'Suppressed'), f).toEqual([]);
      expect(rows.filter((r) => compliance(r) === 'Suppressed' && r.split('","')[3] === 'N/A'), f).toEqual([]);
    }
  });
});
