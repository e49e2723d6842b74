// Real bundling, once: the whole app synthesised with NodejsFunction's local esbuild (no
// Docker) and the router agent artefact bundled the same way; every bundle is an ESM file
// that a fresh Node process can import with no AWS credentials and no network.
import { App } from 'aws-cdk-lib';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/functions.ts';
import { resourcesOf, synthBerth, text, type Synthesised } from './synth.ts';

const run = promisify(execFile);
let synth: Synthesised;
let outdir: string;

beforeAll(() => {
  synth = synthBerth({}, { bundle: true, routerAgentEntry: 'functions/reconcilers/resync.ts' });
  outdir = (synth.berth.controlPlane.node.root as App).outdir;
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const assetDir = (s3Key: string) => join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);

const PSEUDO: Record<string, string> = { '<AWS::AccountId>': '123456789012', '<AWS::Region>': 'us-east-1', '<AWS::URLSuffix>': 'amazonaws.com', '<AWS::Partition>': 'aws' };

/**
 * The function's environment as the template gives it: pseudo parameters filled in (so a value
 * made of them, such as an ECR image reference, keeps its shape), other references replaced by stand-ins.
 */
function environmentOf(props: Record<string, unknown>): Record<string, string> {
  const vars = (props.Environment as { Variables: Record<string, unknown> }).Variables;
  const standIn = (k: string) => (k.endsWith('_ARN') ? `arn:aws:iam::123456789012:role/${k.toLowerCase()}` : `berth-test-${k.toLowerCase()}`);
  const value = (k: string, v: unknown) => {
    if (typeof v === 'string') return v;
    const filled = text(v).replace(/<AWS::\w+>/g, (p) => PSEUDO[p] ?? p);
    return filled.includes('<') ? standIn(k) : filled;
  };
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, value(k, v)]));
}

/**
 * Imports a bundle in a fresh node with the environment the stack gives the function, a region,
 * and no credentials: an entry that needs a variable the stack does not give, or that calls AWS
 * at import, fails here.
 */
async function importInFreshNode(file: string, environment: Record<string, string>): Promise<string> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(typeof m.handler);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...environment },
    timeout: 20_000,
  });
  return stdout.trim();
}

describe('function bundles', () => {
  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s: one minified ESM file with a source map, importable, exporting handler', async (_name, spec) => {
    const [, props] = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').find(([, p]) => p.Description === spec.description)!;
    const dir = assetDir((props.Code as { S3Key: string }).S3Key);
    const bundle = join(dir, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code.startsWith('import { createRequire as __berthCreateRequire }')).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines
    expect(await importInFreshNode(bundle, environmentOf(props))).toBe('function');
  }, 60_000);

  it('keeps the API bundle under 1.5 MB', () => {
    const [, props] = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').find(([, p]) => p.Description === FUNCTIONS[0]!.description)!;
    expect(statSync(join(assetDir((props.Code as { S3Key: string }).S3Key), 'index.mjs')).size).toBeLessThan(1.5 * 1024 * 1024);
  });
});

describe('the web console in the API bundle', () => {
  it('carries its script and stylesheet in console-assets/ beside index.mjs, as console/assets.ts reads them', () => {
    const [, props] = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').find(([, p]) => p.Description === FUNCTIONS[0]!.description)!;
    const dir = join(assetDir((props.Code as { S3Key: string }).S3Key), 'console-assets');
    const sources: Record<string, string> = { 'console.js': 'console/client/console.js', 'console.css': 'console/client/console.css', 'htmx.min.js': 'node_modules/htmx.org/dist/htmx.min.js' };
    for (const [file, source] of Object.entries(sources)) expect(readFileSync(join(dir, file), 'utf8'), file).toBe(readFileSync(source, 'utf8'));
  });

  it.each(FUNCTIONS.filter((f) => !f.console).map((f) => [f.name, f] as const))('%s: carries neither the console\'s files nor its code', (_name, spec) => {
    const [, props] = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').find(([, p]) => p.Description === spec.description)!;
    const dir = assetDir((props.Code as { S3Key: string }).S3Key);
    expect(existsSync(join(dir, 'console-assets'))).toBe(false);
    // Strings of the console's code (session cookie, CSRF key, page frame), kept as they are by minification.
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    for (const mark of ['berth_console', 'berth-console-csrf', 'Skip to content']) expect(code.includes(mark), mark).toBe(false);
  });

  it('the API bundle has the console\'s code (the marks the other bundles are checked for)', () => {
    const [, props] = resourcesOf(synth.templates.controlPlane, 'AWS::Lambda::Function').find(([, p]) => p.Description === FUNCTIONS.find((f) => f.console)!.description)!;
    const code = readFileSync(join(assetDir((props.Code as { S3Key: string }).S3Key), 'index.mjs'), 'utf8');
    for (const mark of ['berth_console', 'berth-console-csrf', 'Skip to content']) expect(code.includes(mark), mark).toBe(true);
  });
});

describe('router agent artefact', () => {
  it('is main.mjs (+ map) bundled with the same options, fetched by the router hosts', () => {
    const [, lt] = resourcesOf(synth.templates.router, 'AWS::EC2::LaunchTemplate')[0]!;
    const key = /([0-9a-f]{64})\.zip/.exec(JSON.stringify(lt))![1]!;
    const dir = join(outdir, `asset.${key}`);
    expect(existsSync(join(dir, 'main.mjs'))).toBe(true);
    expect(existsSync(join(dir, 'main.mjs.map'))).toBe(true);
  });
});
