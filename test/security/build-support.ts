// Helpers of the build attack tests: a stranger with a fresh account and project on the real
// API, the builder agent's dependencies over real engines, Builds stored as they would be by an
// API that let them through (to show the agent checks again), and git repositories served over
// smart HTTP on loopback (git http-backend).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiateBuild, type Build } from '../../shared/builds/instantiate.ts';
import type { ObjectRef } from '../../shared/model/types.ts';
import type { ObjectStore } from '../../shared/store/ports.ts';
import { patchStatus } from '../../shared/store/patch.ts';
import type { TestApi } from '../support/api.ts';

/** Signs a new user up and has them create a project; returns their token. */
export async function stranger(api: TestApi, user: string, project: string): Promise<string> {
  const token = await api.user(user);
  const made = await api.call('POST', '/api/v1/projects', token, { metadata: { name: project } });
  if (made.status !== 201) throw new Error(`project ${project}: ${made.status} ${JSON.stringify(made.body)}`);
  return token;
}

/**
 * A BuildConfig and its Build written straight to the store (as a Build stored before admission
 * checked it, or by any path around the API), claimed as the reconciler would.
 */
export async function storedBuild(store: ObjectStore, project: string, name: string, spec: Record<string, unknown>, revision?: { commit: string }): Promise<ObjectRef> {
  await store.create({
    kind: 'BuildConfig',
    metadata: { name, project },
    spec: { output: { to: { kind: 'ImageStreamTag', name: `${name}:latest` } }, triggers: [], runPolicy: 'Serial', successfulBuildsHistoryLimit: 5, failedBuildsHistoryLimit: 5, ...spec },
  });
  const b = await instantiateBuild(store, project, name, { message: 'attack', revision });
  const ref = { kind: 'Build', project, name: b.metadata.name };
  await patchStatus<Build>(store, ref, (cur) => ({ ...cur.status, phase: 'Pending', attempt: 'a1', agent: 'test' }));
  return ref;
}

/** Commits everything in `dir` and makes a bare copy of it that dumb HTTP can serve. */
export function bareRepo(dir: string): string {
  const git = (cwd: string, ...a: string[]) => execFileSync('git', ['-c', 'user.email=m@example.com', '-c', 'user.name=M', ...a], { cwd });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'app');
  const bare = join(mkdtempSync(join(tmpdir(), 'berth-sec-bare-')), 'app.git');
  git(dir, 'clone', '-q', '--bare', dir, bare);
  git(bare, 'update-server-info');
  return bare;
}

export interface GitServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the bare repositories under `root` over git's smart HTTP protocol (git http-backend) on 127.0.0.1. */
export async function serveGit(root: string): Promise<GitServer> {
  const server: Server = createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: decodeURIComponent(path!),
        QUERY_STRING: query, REQUEST_METHOD: req.method ?? 'GET', CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (d: Buffer) => chunks.push(d));
    cgi.once('close', () => {
      const out = Buffer.concat(chunks);
      const end = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers).end(out.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
