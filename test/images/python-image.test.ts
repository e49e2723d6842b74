// The Python builder image itself: the recipe-hash skip, its labels and user, the usage text,
// the helpers it ships (web-concurrency over cgroup v1 and v2, the arbitrary UID's passwd entry,
// group-0 permissions), and the server choice order of the run script.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { buildSuite, docker, runOnce } from '../builds/support.ts';

const suite = buildSuite();
let builder: string;

beforeAll(() => {
  builder = suite.builder;
});

describe('the builder image', () => {
  it('is not rebuilt when its recipe hash is unchanged', async () => {
    const before = (await docker.getImage(builder).inspect()).Id;
    const lines: string[] = [];
    const started = Date.now();
    expect(await ensureBuilderImages(docker, { variant: 'test', log: (l) => lines.push(l) })).toBe(builder);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines).toEqual([]);
    expect((await docker.getImage(builder).inspect()).Id).toBe(before);
  });

  it('carries the S2I labels, runs as user 1001 and shows usage by default', async () => {
    const { Config } = await docker.getImage(builder).inspect();
    expect(Config.Labels).toMatchObject({
      'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i',
      'io.openshift.expose-services': '8080:http',
      'io.berth.builder-variant': 'test',
    });
    expect(Config.Labels?.['io.k8s.description']).toMatch(/Python 3\.11/);
    expect(Config.Labels?.['io.berth.recipe-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(Config.User).toBe('1001');
    expect(Config.Cmd).toEqual(['/usr/libexec/s2i/usage']);
    const usage = await runOnce(builder, ['/usr/libexec/s2i/usage']);
    expect(usage.code).toBe(0);
    expect(usage.output).toContain('app-hook migrate');
    expect(usage.output).toContain('WEB_CONCURRENCY');
  });

  it('bakes in Flask, Django, gunicorn, waitress and the PostgreSQL, MariaDB, Redis and Celery clients for the virtualenv (test variant)', async () => {
    const r = await runOnce(builder, ['python', '-c', 'import sys, flask, django, gunicorn, waitress, psycopg2, MySQLdb, redis, celery; print(sys.prefix)']);
    expect(r).toEqual({ code: 0, output: '/opt/app-root\n' });
  });

  it('gives an arbitrary UID a passwd entry and a writable app root through group 0', async () => {
    const r = await runOnce(builder, ['bash', '-c', 'source /usr/libexec/berth/python-lib.sh; ensure_passwd_entry; whoami; id -g; touch $HOME/x /opt/app-root/lib/y && echo writable']);
    expect(r.output.split('\n')).toEqual(['app', '0', 'writable', '']);
  });
});

describe('web-concurrency', () => {
  it.each([
    { what: 'cgroup v2, 256 MiB, 2 CPUs', files: { 'memory.max': '268435456', 'cpu.max': '200000 100000' }, workers: '4' },
    { what: 'cgroup v2, no memory limit, 1 CPU', files: { 'memory.max': 'max', 'cpu.max': '100000 100000' }, workers: '3' },
    { what: 'cgroup v2, 64 MiB', files: { 'memory.max': '67108864', 'cpu.max': 'max 100000' }, workers: '1' },
    { what: 'cgroup v1, 512 MiB, 4 CPUs', files: { 'memory/memory.limit_in_bytes': '536870912', 'cpu/cpu.cfs_quota_us': '400000', 'cpu/cpu.cfs_period_us': '100000' }, workers: '9' },
    { what: 'cgroup v1, unlimited, 8 CPUs', files: { 'memory/memory.limit_in_bytes': '9223372036854771712', 'cpu/cpu.cfs_quota_us': '800000', 'cpu/cpu.cfs_period_us': '100000' }, workers: '12' },
  ])('$what → $workers', async ({ files, workers }) => {
    const setup = Object.entries(files).map(([f, v]) => `mkdir -p "$(dirname /tmp/cg/${f})" && echo "${v}" > /tmp/cg/${f}`);
    const r = await runOnce(builder, ['bash', '-c', [...setup, 'CGROUP_ROOT=/tmp/cg web-concurrency'].join(' && ')]);
    expect(r).toEqual({ code: 0, output: `${workers}\n` });
  });

  it('reads the real limit of the container', async () => {
    const r = await runOnce(builder, ['web-concurrency'], { memoryBytes: 128 * 1024 * 1024 });
    expect(r.output.trim()).toBe('2');
  });
});

describe('the run script chooses how to start the app', () => {
  const cases: { name: string; files: string[]; env?: string; expect: string }[] = [
    { name: 'app.sh before app.py', files: ['app.sh', 'app.py', 'wsgi.py'], expect: 'script app.sh' },
    { name: 'app.py before wsgi.py', files: ['app.py', 'wsgi.py'], expect: 'file app.py' },
    { name: 'APP_FILE names the file', files: ['main.py', 'wsgi.py'], env: 'APP_FILE=main.py', expect: 'file main.py' },
    { name: 'APP_MODULE alone skips the app.py default', files: ['app.py', 'svc.py'], env: 'APP_MODULE=svc:app', expect: 'gunicorn svc:app' },
    { name: 'wsgi.py with gunicorn installed', files: ['wsgi.py'], expect: 'gunicorn wsgi:application' },
    { name: 'Django project through gunicorn', files: ['manage.py', 'proj/wsgi.py'], expect: 'gunicorn proj.wsgi:application' },
    { name: 'waitress when gunicorn is missing', files: ['wsgi.py', 'hide/gunicorn/__init__.py'], env: 'PYTHONPATH=hide', expect: 'waitress wsgi:application' },
    { name: 'mod_wsgi-express when neither is there', files: ['wsgi.py', 'hide/gunicorn/__init__.py', 'hide/waitress/__init__.py', 'bin/mod_wsgi-express'], env: 'PYTHONPATH=hide PATH=$PWD/bin:$PATH', expect: 'mod_wsgi wsgi:application' },
    { name: 'wsgiref as the last resort', files: ['wsgi.py', 'hide/gunicorn/__init__.py', 'hide/waitress/__init__.py'], env: 'PYTHONPATH=hide', expect: 'wsgiref wsgi:application' },
    { name: 'Django runserver without gunicorn', files: ['manage.py', 'proj/wsgi.py', 'hide/gunicorn/__init__.py'], env: 'PYTHONPATH=hide', expect: 'django manage.py' },
    { name: 'a missing APP_SCRIPT is an error', files: ['app.py'], env: 'APP_SCRIPT=nope.sh', expect: "error APP_SCRIPT 'nope.sh' was not found" },
    { name: 'nothing to start', files: ['lib.py'], expect: 'error found no app.sh, app.py, wsgi.py, APP_MODULE or Django manage.py' },
  ];
  let results: Record<string, string> = {};

  beforeAll(async () => {
    const script = cases
      .map((c, i) => {
        const make = c.files
          .map((f) =>
            f.startsWith('hide/')
              ? `mkdir -p "$(dirname ${f})" && echo "raise ImportError" > ${f}`
              : f.startsWith('bin/')
                ? `mkdir -p bin && printf '#!/bin/sh\\n' > ${f} && chmod +x ${f}`
                : `mkdir -p "$(dirname ${f})" && printf "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\\n" > ${f}`,
          )
          .join(' && ');
        return `( mkdir -p /tmp/c${i} && cd /tmp/c${i} && ${make} && ${c.env ? `export ${c.env} && ` : ''}if choose_server; then echo "${i}|$SERVER $SERVER_TARGET"; else echo "${i}|error $SERVER_ERROR"; fi )`;
      })
      .join('\n');
    const r = await runOnce(builder, ['bash', '-c', `source /usr/libexec/berth/python-lib.sh\n${script}`]);
    results = Object.fromEntries(r.output.trim().split('\n').map((l) => l.split('|') as [string, string]));
  });

  it.each(cases.map((c, i) => ({ ...c, i })))('$name', ({ i, expect: want }) => {
    expect(results[String(i)]).toBe(want);
  });
});
