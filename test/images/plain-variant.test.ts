// The production variant berth/python:3.11 (no frameworks baked in): made from its own
// mmdebstrap base, it builds a standard-library app and serves wsgi.py with wsgiref, since no
// WSGI server is installed.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBuilderImages } from '../../images/build.ts';
import { appSource, build, builderLog, docker, getWhenReady, removeImages, runApp, runOnce, testTag } from '../build/support.ts';

let builder: string;
const tags: string[] = [];

beforeAll(async () => {
  builder = await ensureBuilderImages(docker, { variant: 'plain', log: builderLog('plain') });
}, 20 * 60_000);

afterAll(async () => {
  await removeImages(tags);
});

describe('berth/python:3.11', () => {
  it('has Python 3.11 in its virtualenv and no web framework', async () => {
    const r = await runOnce(builder, ['python', '-c', 'import sys, importlib.util as u; print(sys.version_info[:2], [m for m in ("flask", "django", "gunicorn") if u.find_spec(m)])']);
    expect(r).toEqual({ code: 0, output: '(3, 11) []\n' });
  });

  it('serves a standard-library wsgi.py with wsgiref as an arbitrary UID', async () => {
    const tag = testTag(inject('registryHost'), 'plain-wsgi');
    tags.push(tag);
    const built = await build({ builderImage: builder, sourceDir: await appSource('wsgi-stdlib'), tag });
    expect(built.lines).toContain('---> The application will start with: wsgiref (wsgi:application)');
    const running = await runApp(tag);
    try {
      expect((await getWhenReady(running)).trim()).toBe('hello from wsgi.py');
      expect(await running.logs()).toContain("serving with the standard library's wsgiref");
    } finally {
      await running.stop();
    }
  }, 180_000);
});
