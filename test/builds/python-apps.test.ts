// End to end with real Docker: the sample apps are built with s2iBuild on the Python builder
// (test variant), each image runs as an arbitrary non-root UID without capabilities, and
// answers on its port 8080 published on 127.0.0.1.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeWheels } from '../../images/wheelhouse.ts';
import { APPS, answerOf, appSource, build, buildSuite, docker, runOnce } from './support.ts';

const suite = buildSuite();

async function buildApp(app: string, files: Parameters<typeof appSource>[1] = {}) {
  return build({ builderImage: suite.builder, sourceDir: await appSource(app, files), tag: suite.tag(app) });
}

describe('sample apps built with S2I answer over HTTP as an arbitrary UID', () => {
  it.each([
    { app: 'wsgi-stdlib', answer: /^hello from wsgi\.py$/, server: /gunicorn \(wsgi:application\)/ },
    { app: 'app-py', answer: /^hello from app\.py as uid 1000770000$/, server: /file \(app\.py\)/ },
    { app: 'app-sh', answer: /^hello from app\.sh$/, server: /script \(app\.sh\)/ },
    { app: 'flask-gunicorn', answer: /^hello from flask$/, server: /gunicorn \(wsgi:application\)/ },
    { app: 'django', answer: /^hello from django; users=0; collectstatic=True$/, server: /gunicorn \(mysite\.wsgi:application\)/ },
  ])('$app', async ({ app, answer, server }) => {
    const built = await buildApp(app);
    expect(built.lines.join('\n')).toMatch(server);
    expect((await answerOf(built.tag)).body.trim()).toMatch(answer);
  }, 180_000);
});

describe('the Django app', () => {
  it('collects static files at build and migrates its sqlite database at start', async () => {
    const built = await buildApp('django');
    expect(built.lines).toContain('---> Collecting Django static files ...');
    const { logs } = await answerOf(built.tag);
    expect(logs).toContain('---> Migrating the database (manage.py migrate) ...');
    expect(logs).toMatch(/Applying auth\.0001_initial\.\.\. OK/);
  }, 180_000);

  it('skips collectstatic with DISABLE_COLLECTSTATIC and migrate with DISABLE_MIGRATE', async () => {
    const built = await buildApp('django', { '.s2i/environment': 'DISABLE_COLLECTSTATIC=1\nDISABLE_MIGRATE=1\n' });
    expect(built.lines.join('\n')).not.toContain('Collecting Django static files');
    // Without migrate the view's query finds no tables: Django answers 500.
    expect((await answerOf(built.tag, {}, 500)).logs).not.toContain('Migrating the database');
  }, 180_000);

  it('runs the migrate and setup lifecycle hooks as one-off commands', async () => {
    const built = await buildApp('django');
    const migrate = await runOnce(built.tag, ['/usr/libexec/s2i/run', 'migrate']);
    expect(migrate.code).toBe(0);
    expect(migrate.output).toMatch(/Applying contenttypes\.0001_initial\.\.\. OK/);
    const setup = await runOnce(built.tag, ['app-hook', 'setup']);
    expect(setup).toMatchObject({ code: 0 });
    expect(setup.output).toContain('Migrating the database');
  }, 180_000);
});

describe('server choice and hooks', () => {
  it('runs the action hooks: pre-build and build at assemble, deploy-env and deploy at start', async () => {
    const hook = (text: string) => ({ text, mode: 0o755 });
    const built = await buildApp('app-py', {
      '.s2i/action_hooks/pre-build': hook('#!/bin/bash\necho "pre-build hook ran"\n'),
      '.s2i/action_hooks/build': hook('#!/bin/bash\necho "build hook ran"; echo built > build-marker\n'),
      '.s2i/action_hooks/deploy-env': 'GREETING="from deploy-env"\n',
      '.s2i/action_hooks/deploy': 'echo "deploy hook ran with GREETING=$GREETING"\n',
    });
    const log = built.lines.join('\n');
    expect(log.indexOf('pre-build hook ran')).toBeGreaterThan(-1);
    expect(log.indexOf('build hook ran')).toBeGreaterThan(log.indexOf('pre-build hook ran'));
    expect((await answerOf(built.tag)).logs).toContain('deploy hook ran with GREETING=from deploy-env');
    expect((await runOnce(built.tag, ['cat', 'build-marker'])).output.trim()).toBe('built');
  }, 180_000);

  it('prefers APP_SCRIPT over APP_FILE and wsgi.py', async () => {
    const built = await buildApp('flask-gunicorn', {
      'app.py': 'raise SystemExit("app.py must not run when APP_SCRIPT is set")\n',
      'start.sh': { text: '#!/bin/bash\nexec python -m http.server "$PORT" --bind 0.0.0.0 --directory "$HOME/www"\n', mode: 0o755 },
      'www/index.html': 'hello from APP_SCRIPT\n',
      '.s2i/environment': 'APP_SCRIPT=start.sh\n',
    });
    expect(built.lines.join('\n')).toMatch(/script \(start\.sh\)/);
    expect((await answerOf(built.tag)).body.trim()).toBe('hello from APP_SCRIPT');
  }, 180_000);

  it('computes WEB_CONCURRENCY from the memory limit when unset', async () => {
    const built = await buildApp('flask-gunicorn');
    expect((await answerOf(built.tag, { memoryBytes: 160 * 1024 * 1024 })).logs).toContain('with gunicorn (2 workers)');
  }, 180_000);
});

describe('installing the project itself, offline', () => {
  it.each([
    { app: 'setup-py', wheels: 'wheels', log: '---> Installing application (setup.py) ...', answer: 'hello from setup.py; hello from berthdemo' },
    { app: 'pyproject', wheels: '.s2i/wheelhouse', log: '---> Installing application (pyproject.toml) ...', answer: 'hello from pyproject.toml; hello from berthdemo' },
  ])('$app: pip install . with its dependency from a wheelhouse, without an index', async ({ app, wheels, log, answer }) => {
    const src = await appSource(app);
    await makeWheels(docker, suite.builder, join(APPS, 'berthdemo-src'), join(src, wheels));
    const built = await build({ builderImage: suite.builder, sourceDir: src, tag: suite.tag(app) });
    expect(built.lines).toContain(log);
    expect(built.lines.join('\n')).toContain('without a package index');
    expect((await answerOf(built.tag)).body.trim()).toBe(answer);
  }, 180_000);
});

describe('WSGI servers', () => {
  it('serves with waitress when gunicorn is not importable', async () => {
    const built = await buildApp('flask-gunicorn', {
      'hide/gunicorn/__init__.py': 'raise ImportError("hidden for this test")\n',
      '.s2i/environment': 'PYTHONPATH=/opt/app-root/src/hide\n',
    });
    expect(built.lines.join('\n')).toMatch(/waitress \(wsgi:application\)/);
    const { body, logs } = await answerOf(built.tag);
    expect(body.trim()).toBe('hello from flask');
    expect(logs).toContain('with waitress on port 8080');
  }, 180_000);
});

