// DynamoDB Local as the platform starts it: in a network namespace of its own, so that on this
// machine's side only a pipe on 127.0.0.1 reaches it (the engine itself listens nowhere here);
// and where no namespace can be made, a clear refusal rather than an engine on every interface.
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoLocal, type DynamoLocal } from '../../shared/local/dynamodb-local.ts';
import { freePort } from '../../shared/local/ports.ts';

let engine: DynamoLocal;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  engine = await startDynamoLocal({ port });
}, 90_000);

afterAll(() => engine?.stop());

/** The processes listening on a TCP port in this network namespace, from `ss -ltnpH`. */
function listeners(p: number): string[] {
  const out = spawnSync('ss', ['-ltnpH', `sport = :${p}`], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean);
}

describe('DynamoDB Local', () => {
  it('answers the DynamoDB API on its loopback endpoint', async () => {
    const res = await fetch(engine.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', authorization: 'AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('TableNames');
  });

  it("is reached on this machine's side only through the pipe on 127.0.0.1; Java listens in its own namespace", () => {
    const found = listeners(port);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\s`));
    expect(found[0]).toContain('"node"');
    expect(found.join()).not.toContain('java');
    const ns = (pid: number) => readlinkSync(`/proc/${pid}/ns/net`);
    expect(ns(engine.process.pid!)).not.toBe(ns(process.pid));
  });

  it('refuses, saying why, where no network namespace can be made (here: not root)', () => {
    const script = `import('${new URL('../../shared/local/dynamodb-local.ts', import.meta.url).pathname}').then((m) => m.startDynamoLocal({ port: 1 })).then(() => console.log('started'), (e) => console.log('refused: ' + e.message))`;
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
    expect(run.stdout.trim()).toBe('refused: cannot run java in a network namespace of its own: making a network namespace needs root (run as root, as `npm run up` asks)');
  });
});
