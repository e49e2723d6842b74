// The production variant berth/python:3.11 (no frameworks baked in): made from its own
// mmdebstrap base, it builds a standard-library app and serves wsgi.py with wsgiref, since no
// WSGI server is installed.
import { describe, expect, it } from 'vitest';
import { answerOf, appSource, build, buildSuite, runOnce } from '../builds/support.ts';

const suite = buildSuite('plain');

describe('berth/python:3.11', () => {
  it('has Python 3.11 in its virtualenv and no web framework', async () => {
    const r = await runOnce(suite.builder, ['python', '-c', 'import sys, importlib.util as u; print(sys.version_info[:2], [m for m in ("flask", "django", "gunicorn") if u.find_spec(m)])']);
    expect(r).toEqual({ code: 0, output: '(3, 11) []\n' });
  });

  it('serves a standard-library wsgi.py with wsgiref as an arbitrary UID', async () => {
    const tag = suite.tag('plain-wsgi');
    const built = await build({ builderImage: suite.builder, sourceDir: await appSource('wsgi-stdlib'), tag });
    expect(built.lines).toContain('---> The application will start with: wsgiref (wsgi:application)');
    const { body, logs } = await answerOf(tag);
    expect(body.trim()).toBe('hello from wsgi.py');
    expect(logs).toContain("serving with the standard library's wsgiref");
  }, 180_000);
});
