// process, create -f, apply -f and new-app with templates, through the real API: YAML and JSON,
// files and stdin, parameters from -p and --param-file, the shipped templates by name, and the
// one-line refusals (unknown parameter, missing required one, a List with a bad item).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSharedTemplates } from '../../shared/templates/shared-templates.ts';
import { startCli, type CliHarness } from './harness.ts';

let h: CliHarness;
const dir = mkdtempSync(join(tmpdir(), 'berth-cli-templates-'));
const pat = (...argv: string[]) => h.berth(argv, 'pat');
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const TEMPLATE = `apiVersion: template.openshift.io/v1
kind: Template
metadata:
  name: notes
message: Notes run as \${NAME} with key \${KEY}
objects:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: \${NAME}
  data:
    key: \${KEY}
    owner: \${OWNER}
- apiVersion: v1
  kind: Secret
  metadata:
    name: \${NAME}
  stringData:
    key: \${KEY}
parameters:
- name: NAME
  value: notes
- name: KEY
  generate: expression
  from: "[a-f0-9]{10}"
- name: OWNER
  required: true
`;

beforeAll(async () => {
  h = await startCli();
  await h.api.user('pat');
  await h.login('pat');
  expect((await pat('new-project', 'notes')).code).toBe(0);
  await ensureSharedTemplates(h.api.store);
  // Until the shared project is readable by every user, pat is let view it.
  expect((await h.api.call('POST', '/api/v1/projects/openshift/rolebindings', h.api.adminToken, { metadata: { name: 'pat-view' }, spec: { role: 'view', subjects: [{ kind: 'User', name: 'pat' }] } })).status).toBe(201);
});
afterAll(() => h.close());

describe('berth process', () => {
  it('prints the List of a template file, with -p and --param-file values and a generated one', async () => {
    const params = file('params.env', '# who\nOWNER=ann\nNAME=from-file\n');
    const r = await pat('process', '-f', file('t.yaml', TEMPLATE), '--param-file', params, '-p', 'NAME=given');
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe('List');
    expect(list.items.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/given', 'Secret/given']);
    expect(list.items[0].data.owner).toBe('ann');
    expect(list.items[0].data.key).toMatch(/^[a-f0-9]{10}$/);
    expect(list.items[1].stringData.key).toBe(list.items[0].data.key);
    expect((await pat('process', '-f', join(dir, 't.yaml'), '-p', 'OWNER=x', '-o', 'yaml')).stdout).toMatch(/^kind: List\n/);
  });

  it('processes a shipped template by name from openshift', async () => {
    const r = await pat('process', 'redis-persistent', '-p', 'DATABASE_SERVICE_NAME=cache');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).items.map((o: any) => o.kind)).toEqual(['Secret', 'Service', 'PersistentVolumeClaim', 'DeploymentConfig']);
  });

  it('refuses a missing required parameter and an unknown one in one line, naming them', async () => {
    const missing = await pat('process', '-f', join(dir, 't.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*OWNER.*required/);
    const unknown = await pat('process', '-f', join(dir, 't.yaml'), '-p', 'OWNER=x', '-p', 'OWNRE=y');
    expect(unknown.stderr).toContain('no parameter "OWNRE"');
    const bad = await pat('process', '-f', join(dir, 't.yaml'), '-p', 'OWNER');
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, 'error: -p OWNER: write it as NAME=VALUE']);
  });
});

describe('berth create -f / apply -f', () => {
  it('creates the objects of a List from stdin (JSON), and refuses them a second time', async () => {
    const processed = (await pat('process', '-f', join(dir, 't.yaml'), '-p', 'OWNER=ann', '-p', 'NAME=piped')).stdout;
    const r = await h.berth(['create', '-f', '-'], 'pat', Readable.from([processed]));
    expect(r).toMatchObject({ code: 0, stdout: 'configmap/piped created\nsecret/piped created\n' });
    const again = await h.berth(['create', '-f', '-'], 'pat', Readable.from([processed]));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('items[0] (ConfigMap "piped")');
  });

  it('a List with one bad item makes nothing', async () => {
    const yaml = `kind: List\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fine}\n  data: {a: "1"}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: broken}\n  spec: {selector: {a: b}, ports: [{port: 99999}]}\n`;
    const r = await pat('create', '-f', file('bad.yaml', yaml));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('items[1] (Service "broken")');
    expect((await h.api.call('GET', '/api/v1/projects/notes/configmaps/fine', h.api.adminToken)).status).toBe(404);
  });

  it('apply makes a single object, then updates it by name', async () => {
    const one = (v: string) => file('cm.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  v: "${v}"\n`);
    expect((await pat('apply', '-f', one('1'))).stdout).toBe('configmap/applied created\n');
    expect((await pat('apply', '-f', one('2'))).stdout).toBe('configmap/applied configured\n');
    expect((await h.api.call('GET', '/api/v1/projects/notes/configmaps/applied', h.api.adminToken)).body.spec.data).toEqual({ v: '2' });
  });

  it('create -f stores a Template, which get templates lists; create secret still takes -n', async () => {
    expect((await pat('create', '-f', join(dir, 't.yaml'))).stdout).toBe('template/notes created\n');
    expect((await pat('get', 'templates')).stdout).toMatch(/^NAME\s+DESCRIPTION\s+PARAMETERS\s+OBJECTS[\s\S]*notes\s+<none>\s+3 \(1 generated\)\s+2/);
    expect((await pat('get', 'templates', '-n', 'openshift')).stdout).toContain('flask-redis-celery');
    expect((await pat('create', 'secret', 'generic', 'elsewhere', '--from-literal', 'a=b', '-n', 'notes')).code).toBe(0);
  });
});

describe('berth new-app with a template', () => {
  it('--template NAME processes and makes the objects, then prints the message', async () => {
    const r = await pat('new-app', '--template', 'notes', '-p', 'OWNER=ann', '-p', 'NAME=via-new-app');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('--> Deploying template "notes" to project notes');
    expect(r.stdout).toMatch(/\* KEY=[a-f0-9]{10} \(generated\)/);
    expect(r.stdout).toContain('configmap/via-new-app created\nsecret/via-new-app created\n--> Success');
    const key = /KEY=([a-f0-9]{10})/.exec(r.stdout)![1];
    expect(r.stdout).toContain(`Notes run as via-new-app with key ${key}`);
  });

  it('-f FILE does the same; with a source argument as well it is a usage error', async () => {
    expect((await pat('new-app', '-f', join(dir, 't.yaml'), '-p', 'OWNER=x', '-p', 'NAME=from-file')).code).toBe(0);
    const both = await pat('new-app', 'python~./src', '-f', join(dir, 't.yaml'));
    expect(both.code).toBe(2);
    const none = await pat('new-app');
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([2, 'error: new-app needs BUILDER~SOURCE, -f FILE or --template NAME']);
  });
});
