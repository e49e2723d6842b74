// new-app and new-build: from BUILDER~SOURCE to an ImageStream, a BuildConfig and, for a local
// directory, an uploaded first build; git sources get webhook triggers with fresh secrets.
// new-app also makes a DeploymentConfig following the built image and a Service over its pods.
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, PYTHON, sourceTree, startBuildCli, type BuildHarness } from './build-harness.ts';

let h: BuildHarness;
beforeAll(async () => {
  h = await startBuildCli();
});
afterAll(() => h.close());

describe('berth new-app from a local directory', () => {
  it('creates the ImageStream, a binary BuildConfig, a DeploymentConfig and a Service, uploads the directory and starts build 1', async () => {
    const dir = sourceTree(
      {
        'app.sh': { text: '#!/bin/sh\nexec python3 -m http.server 8080\n', mode: 0o755 },
        'requirements.txt': 'flask\n',
        'pkg/__init__.py': '',
        '.s2i/environment': 'APP_SCRIPT=app.sh\n',
        '.git/HEAD': 'ref: refs/heads/main\n',
      },
      'Hello_World',
    );

    const r = await h.berth(['new-app', `python~${dir}`]);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `--> Found builder image "python" (${PYTHON.image})`,
        `    ${PYTHON.description}`,
        '',
        '--> Creating resources ...',
        '    imagestream.image.berth.io "hello-world" created',
        '    buildconfig.build.berth.io "hello-world" created',
        '    deploymentconfig.apps.berth.io "hello-world" created',
        '    service "hello-world" created',
        '    build.build.berth.io/hello-world-1 started',
        '--> Success',
        '    Build "hello-world-1" is under way; follow it with `berth logs -f build/hello-world-1`.',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toMatch(new RegExp(`^Uploading directory "${dir}" as binary input for the build \\(4 files, [\\d.]+ KiB\\) \\.\\.\\.\\nUploading finished\\n$`));

    const is = await h.get('imagestreams', 'hello-world');
    expect(is.metadata.labels).toEqual({ app: 'hello-world' });
    const bc = await h.get('buildconfigs', 'hello-world');
    expect(bc.spec).toMatchObject({
      source: { binary: {} },
      strategy: { type: 'Source', sourceStrategy: { from: { kind: 'DockerImage', name: PYTHON.image }, env: [], incremental: false } },
      output: { to: { kind: 'ImageStreamTag', name: 'hello-world:latest' } },
      triggers: [],
      runPolicy: 'Serial',
    });
    const build = await h.get('builds', 'hello-world-1');
    expect(build.status.phase).toBe('New');
    expect(build.spec.source).toEqual({ binary: {} });
    const dc = await h.get('deploymentconfigs', 'hello-world');
    expect(dc.metadata.labels).toEqual({ app: 'hello-world' });
    expect(dc.spec).toMatchObject({
      replicas: 1,
      selector: { deploymentconfig: 'hello-world' },
      template: {
        metadata: { labels: { app: 'hello-world', deploymentconfig: 'hello-world' } },
        spec: { containers: [{ name: 'hello-world', image: '', env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 } }] },
      },
      strategy: { type: 'Rolling' },
      triggers: [
        { type: 'ConfigChange' },
        { type: 'ImageChange', imageChangeParams: { automatic: true, containerNames: ['hello-world'], from: { kind: 'ImageStreamTag', name: 'hello-world:latest' } } },
      ],
    });
    const svc = await h.get('services', 'hello-world');
    expect(svc.spec).toEqual({ selector: { deploymentconfig: 'hello-world' }, ports: [{ name: '8080-tcp', port: 8080, targetPort: 8080, protocol: 'TCP' }], clusterIP: expect.stringMatching(/^10\.\d+\.\d+\.\d+$/) });
  });

  it('uploads every file but .git, keeping modes, and keeps only links that stay inside', async () => {
    const dir = sourceTree({
      'app.sh': { text: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'wsgi.py': 'application = None\n',
      'static/site.css': 'body {}\n',
      'current.css': { link: 'static/site.css' },
      'passwd': { link: '/etc/passwd' },
      'escape': { link: '../../outside' },
      '.git/config': '[core]\n',
    });

    const r = await h.berth(['new-app', `python~${dir}`, '--name', 'modes']);

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: leaving out "escape": a link is uploaded only when it is relative and points inside the directory\n');
    expect(r.stderr).toContain('warning: leaving out "passwd": a link');
    const files = await h.uploaded('modes-1');
    expect([...files.keys()].sort()).toEqual(['app.sh', 'current.css', 'static/', 'static/site.css', 'wsgi.py']);
    expect(files.get('app.sh')).toMatchObject({ type: 'file', content: '#!/bin/sh\necho hi\n' });
    expect(files.get('app.sh')!.mode & 0o111).toBe(0o111);
    expect(files.get('wsgi.py')!.mode & 0o111).toBe(0);
    expect(files.get('current.css')).toMatchObject({ type: 'symlink', linkname: 'static/site.css' });
    expect(files.get('static/')!.type).toBe('directory');
  });

  it('--env sets the deployment environment and --build-env the build environment', async () => {
    const dir = sourceTree({ 'app.py': 'print(1)\n' });

    const r = await h.berth(['new-app', `python~${dir}`, '--name', 'with-env', '-e', 'DISABLE_MIGRATE=1', '--env', 'GREETING=a=b', '--build-env', 'PIP_NO_INDEX=1']);

    expect(r.code).toBe(0);
    expect((await h.get('deploymentconfigs', 'with-env')).spec.template.spec.containers[0].env).toEqual([
      { name: 'DISABLE_MIGRATE', value: '1' },
      { name: 'GREETING', value: 'a=b' },
    ]);
    expect((await h.get('buildconfigs', 'with-env')).spec.strategy.sourceStrategy.env).toEqual([{ name: 'PIP_NO_INDEX', value: '1' }]);
  });

  it('new-build keeps --env as the build environment and makes no DeploymentConfig', async () => {
    const dir = sourceTree({ 'app.py': 'print(1)\n' });

    await h.berth(['new-build', `python~${dir}`, '--name', 'only-build', '-e', 'A=1']);

    expect((await h.get('buildconfigs', 'only-build')).spec.strategy.sourceStrategy.env).toEqual([{ name: 'A', value: '1' }]);
    expect(await h.get('deploymentconfigs', 'only-build')).toBeUndefined();
    expect(await h.get('services', 'only-build')).toBeUndefined();
  });

  it('refuses a directory larger than an upload may be before creating anything', async () => {
    const dir = sourceTree({ 'app.py': 'print(1)\n' });
    const fd = openSync(join(dir, 'data.bin'), 'w');
    ftruncateSync(fd, 201 * 1024 * 1024); // sparse: takes no room on disk
    closeSync(fd);

    const r = await h.berth(['new-app', `python~${dir}`, '--name', 'too-big']);

    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: "${dir}" holds 201.0 MiB, more than the 200.0 MiB a build may upload\nhint: move virtualenvs, data and build outputs out of the directory, or build from a git repository instead\n`,
    );
    expect(r.stdout).toBe('');
    expect(await h.get('imagestreams', 'too-big')).toBeUndefined();
    expect(await h.get('buildconfigs', 'too-big')).toBeUndefined();
    expect(await h.get('deploymentconfigs', 'too-big')).toBeUndefined();
  });
});

describe('berth new-app from a git repository', () => {
  it('creates a git BuildConfig with config, image, GitHub and Generic triggers and prints the webhooks', async () => {
    const r = await h.berth(['new-app', 'python~https://github.com/example/Flask_Hello.git#stable']);

    expect(r.code).toBe(0);
    const bc = await h.get('buildconfigs', 'flask-hello');
    expect(bc.spec.source).toEqual({ git: { uri: 'https://github.com/example/Flask_Hello.git', ref: 'stable' } });
    expect(bc.spec.output.to.name).toBe('flask-hello:latest');
    const [config, image, github, generic] = bc.spec.triggers;
    expect([config, image]).toEqual([{ type: 'ConfigChange' }, { type: 'ImageChange', imageChange: {} }]);
    expect(github.github.secret).toMatch(/^[0-9a-f]{40}$/);
    expect(generic).toEqual({ type: 'Generic', generic: { secret: expect.stringMatching(/^[0-9a-f]{40}$/), allowEnv: false } });
    expect(github.github.secret).not.toBe(generic.generic.secret);
    expect(await h.get('imagestreams', 'flask-hello')).toBeDefined();
    // The platform starts the first build; the CLI uploads nothing.
    expect(await h.get('builds', 'flask-hello-1')).toBeUndefined();
    expect(await h.api.builds.sources.get({ kind: 'Build', project: PROJECT, name: 'flask-hello-1' })).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('    The platform starts build "flask-hello-1" now; follow it with `berth logs -f build/flask-hello-1`.\n');
    expect(r.stdout).toContain(`      GitHub:  ${h.server}/webhooks/${PROJECT}/flask-hello/github/${github.github.secret}\n`);
    expect(r.stdout).toContain(`      Generic: ${h.server}/webhooks/${PROJECT}/flask-hello/generic/${generic.generic.secret}\n`);
  });

  it('--follow waits for the first build the platform starts and follows it', async () => {
    const run = h.berth(['new-app', 'python~git@github.com:example/waits.git', '--follow']);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await h.api.call('POST', `/api/v1/projects/${PROJECT}/buildconfigs/waits/instantiate`, h.api.adminToken, {});
    await h.appendLog('waits-1', 'Cloning "git@github.com:example/waits.git" ...\n');
    await h.setStatus('waits-1', { phase: 'Complete', duration: 65_000 });

    const r = await run;

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--> Success\n[^]*Cloning "git@github.com:example\/waits.git" \.\.\.\n$/);
    expect(r.stderr).toBe('Waiting for the platform to start build "waits-1" ...\nbuild "waits-1" Complete in 1m5s\n');
  });

  it.each([
    ['an https URL', 'https://gitlab.example.com/group/sub/My.Service.git', 'my-service'],
    ['an scp-like address', 'git@github.com:org/django_shop.git', 'django-shop'],
    ['a URL without .git', 'https://github.com/org/WEB--App', 'web--app'],
    ['a file URL', 'file:///srv/git/tools.git/', 'tools'],
  ])('names the app after the repository in %s', async (_, url, name) => {
    const r = await h.berth(['new-build', `python~${url}`]);

    expect(r.code).toBe(0);
    expect((await h.get('buildconfigs', name)).spec.source.git.uri).toBe(url);
  });
});

describe('berth new-build', () => {
  it('creates a binary BuildConfig without uploading and says how to start a build', async () => {
    const dir = sourceTree({ 'app.py': 'print(1)\n' }, 'later');

    const r = await h.berth(['new-build', `python~${dir}`]);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('    buildconfig.build.berth.io "later" created\n--> Success\n');
    expect(r.stdout).toContain(`    Start a build with \`berth start-build later --from-dir ${dir}\`.\n`);
    expect(r.stderr).toBe('');
    expect(await h.get('buildconfigs', 'later')).toBeDefined();
    expect(await h.get('builds', 'later-1')).toBeUndefined();
  });
});

describe('new-app with an image reference as the builder', () => {
  it.each(['quay.io/example/s2i-go:1.22', '127.0.0.1:7500/tools/builder@sha256:' + 'a'.repeat(64), 'busybox:1.36'])('%s is used as the BuildConfig\'s builder image', async (image) => {
    const name = `own-${image.length}`;
    const r = await h.berth(['new-build', `${image}~https://github.com/example/own.git`, '--name', name]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `--> Using image "${image}" as the builder`,
      "    Not one of the platform's builders: its build checks that it is an S2I builder (the io.openshift.s2i.scripts-url label, /usr/bin/env, the assemble and run scripts).",
    ]);
    expect((await h.get('buildconfigs', name)).spec.strategy.sourceStrategy.from).toEqual({ kind: 'DockerImage', name: image });
  });

  it.each(['Quay.io/Bad Image', 'repo:tag:extra', 'org/-bad'])('%s is neither a builder nor an image reference', async (image) => {
    const r = await h.berth(['new-build', `${image}~https://github.com/example/odd.git`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: unknown builder image "${image}"\nhint: available: python; or give an image reference, e.g. registry.example.com/org/builder:1\n`);
    expect(await h.get('buildconfigs', 'odd')).toBeUndefined();
  });
});

describe('new-app refusals', () => {
  it('an unknown builder image names the ones there are, and nothing is created', async () => {
    const r = await h.berth(['new-app', 'ruby~https://github.com/example/blog.git']);

    expect(r).toEqual({ code: 1, stdout: '', stderr: 'error: unknown builder image "ruby"\nhint: available: python; or give an image reference, e.g. registry.example.com/org/builder:1\n' });
    expect(await h.get('buildconfigs', 'blog')).toBeUndefined();
    expect(await h.get('imagestreams', 'blog')).toBeUndefined();
  });

  it('a name that is taken is one error with a hint, and the existing objects stay as they were', async () => {
    await h.berth(['new-build', 'python~https://github.com/example/taken.git']);
    const before = await h.get('buildconfigs', 'taken');

    const r = await h.berth(['new-app', 'python~https://github.com/example/other.git', '--name', 'taken']);

    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: imagestream.image.berth.io "taken" already exists in project "${PROJECT}"\nhint: give the new application another name with --name NAME\n`,
    });
    expect(await h.get('buildconfigs', 'taken')).toEqual(before);
  });

  it('a Service of the name already there is refused before anything is created', async () => {
    await h.api.call('POST', `/api/v1/projects/${PROJECT}/services`, h.api.adminToken, { metadata: { name: 'svc-taken' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });

    const r = await h.berth(['new-app', 'python~https://github.com/example/other.git', '--name', 'svc-taken']);

    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: service "svc-taken" already exists in project "${PROJECT}"\nhint: give the new application another name with --name NAME\n`,
    });
    expect(await h.get('imagestreams', 'svc-taken')).toBeUndefined();
    expect(await h.get('buildconfigs', 'svc-taken')).toBeUndefined();
    expect(await h.get('deploymentconfigs', 'svc-taken')).toBeUndefined();
  });

  it('a directory whose name gives no DNS label asks for --name', async () => {
    const dir = sourceTree({ 'app.py': '' }, '___');

    const r = await h.berth(['new-app', `python~${dir}`]);

    expect(r).toEqual({ code: 1, stdout: '', stderr: 'error: cannot make a name out of "___"\nhint: give one with --name NAME\n' });
  });

  it('a source that is neither a directory nor a git URL', async () => {
    const r = await h.berth(['new-app', 'python~/no/such/dir']);

    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: "\/no\/such\/dir" is neither a directory nor a git repository URL\nhint: give a local directory or a repository URL, e\.g\. /);
  });

  it.each([
    ['no builder', ['new-app', './src'], 'error: "./src" is not BUILDER~SOURCE'],
    ['an invalid --name', ['new-app', 'python~https://x/y.git', '--name', 'Bad_Name'], 'error: --name "Bad_Name" must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit'],
    ['an --env without a value', ['new-app', 'python~https://x/y.git', '-e', 'FOO'], "error: option '-e, --env <NAME=VALUE>' argument 'FOO' is invalid. give NAME=VALUE, the name of letters, digits and \"_\", not starting with a digit"],
  ])('%s is a usage error', async (_, argv, error) => {
    const r = await h.berth(argv);

    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(error);
    expect(r.stderr.split('\n')[1]).toMatch(/^hint: /);
  });
});
