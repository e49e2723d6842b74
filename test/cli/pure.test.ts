// The CLI's pure parts: where the config lives, server URLs, ages, tables, error mapping.
import { routeUrl } from '../../cli/route-url.ts';
import { describe, expect, it } from 'vitest';
import { apiError } from '../../cli/client.ts';
import { configPath } from '../../cli/config.ts';
import { age, table } from '../../cli/output.ts';
import { normalizeServer } from '../../cli/server-url.ts';

describe('configPath', () => {
  it.each([
    ['BERTH_CONFIG wins', { BERTH_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, '/x/c.json'],
    ['then XDG_CONFIG_HOME', { XDG_CONFIG_HOME: '/xdg', HOME: '/h' }, '/xdg/berth/config.json'],
    ['then ~/.config', { HOME: '/h' }, '/h/.config/berth/config.json'],
    ['an empty XDG_CONFIG_HOME is ignored', { XDG_CONFIG_HOME: '', HOME: '/h' }, '/h/.config/berth/config.json'],
  ])('%s', (_, env, path) => {
    expect(configPath(env)).toBe(path);
  });
});

describe('normalizeServer', () => {
  it.each([
    ['http://127.0.0.1:7080/', 'http://127.0.0.1:7080'],
    ['127.0.0.1:7080', 'http://127.0.0.1:7080'],
    ['localhost:7080', 'http://localhost:7080'],
    ['berth.example.com', 'https://berth.example.com'],
    ['https://berth.example.com/prefix//', 'https://berth.example.com/prefix'],
  ])('%s → %s', (given, server) => {
    expect(normalizeServer(given)).toBe(server);
  });

  it('refuses what is not a URL, as a usage error', () => {
    expect(() => normalizeServer('http://')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('age', () => {
  const now = Date.parse('2030-01-10T00:00:00Z');
  it.each([
    [0, '0s'],
    [119, '119s'],
    [120, '2m'],
    [119 * 60, '119m'],
    [2 * 3600, '2h'],
    [47 * 3600, '47h'],
    [3 * 86400, '3d'],
    [800 * 86400, '2y'],
  ])('%i seconds ago is %s', (seconds, text) => {
    expect(age(new Date(now - seconds * 1000).toISOString(), now)).toBe(text);
  });

  it('a time in the future counts as now; a missing time is <unknown>', () => {
    expect(age(new Date(now + 5000).toISOString(), now)).toBe('0s');
    expect(age(undefined, now)).toBe('<unknown>');
  });
});

describe('table', () => {
  it('pads every column to its widest cell, three spaces apart, without trailing blanks', () => {
    expect(table(['NAME', 'AGE'], [['a-long-name', '5s'], ['b', '10m']])).toBe('NAME          AGE\na-long-name   5s\nb             10m\n');
  });
});

describe('apiError', () => {
  const server = 'http://127.0.0.1:7080';
  it.each([
    ['the suggestion becomes the hint', 409, JSON.stringify({ code: 'AlreadyExists', message: 'ConfigMap "a" already exists', suggestion: 'choose another name' }), 'ConfigMap "a" already exists', 'choose another name'],
    ['401 names the server to log in to', 401, JSON.stringify({ code: 'Unauthorized', message: 'the token has expired', suggestion: 'log in' }), 'the token has expired', `log in with \`berth login ${server} --username U --password P\``],
    ['a multi-line message becomes one line', 422, JSON.stringify({ code: 'Invalid', message: 'spec.data: bad\n  key' }), 'spec.data: bad key', undefined],
    ['a body that is not the API\'s', 502, '<html>bad gateway</html>', 'the server answered 502 Bad Gateway', 'check that the server URL points at a Berth API'],
    ['a 500 suggests retrying', 500, JSON.stringify({ code: 'Internal', message: 'internal error' }), 'internal error', 'the request may be retried; if it keeps failing, look at the platform logs'],
  ])('%s', (_, status, body, message, hint) => {
    const e = apiError(status, status === 502 ? 'Bad Gateway' : '', body, server);

    expect({ message: e.message, hint: e.hint, status: e.status }).toEqual({ message, hint, status });
  });
});

describe('routeUrl', () => {
  const local = { httpPort: 7088, httpsPort: 7443 };
  const standard = { httpPort: 80, httpsPort: 443 };
  it.each([
    [{ host: 'web-demo.apps.localhost' }, local, 'http://web-demo.apps.localhost:7088'],
    [{ host: 'web-demo.apps.localhost', path: '/api' }, local, 'http://web-demo.apps.localhost:7088/api'],
    [{ host: 'shop.example.com', tls: { termination: 'edge' } }, local, 'https://shop.example.com:7443'],
    [{ host: 'shop.example.com' }, standard, 'http://shop.example.com'],
    [{ host: 'shop.example.com', tls: { termination: 'edge' } }, standard, 'https://shop.example.com'],
    [{ host: 'odd.example.com' }, { httpPort: 443, httpsPort: 80 }, 'http://odd.example.com:443'],
    [{ host: '' }, local, undefined],
  ])('%j with the routers on %j is %s', (spec, ports, url) => {
    expect(routeUrl({ spec }, ports)).toBe(url);
  });
});
