// Usage errors: exit code 2, one error line and one hint line, nothing on stdout, no stack trace.
// None of these reach a server, so no platform is needed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './harness.ts';

const env = { BERTH_CONFIG: join(mkdtempSync(join(tmpdir(), 'berth-usage-')), 'config.json') };

describe('usage errors', () => {
  it.each([
    ['a missing argument', ['get'], "error: missing required argument 'KIND'", 'hint: see `berth get --help`'],
    ['an unknown command', ['whoam'], "error: unknown command 'whoam'", 'hint: did you mean whoami? see `berth --help`'],
    ['an unknown option', ['projects', '--colour'], "error: unknown option '--colour'", 'hint: see `berth projects --help`'],
    ['an output format it does not know', ['get', 'cm', '-o', 'xml'], "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are json, yaml.", 'hint: see `berth get --help`'],
    ['a role that does not exist', ['adm', 'policy', 'add-role-to-user', 'owner', 'bob'], "error: command-argument value 'owner' is invalid for argument 'ROLE'. Allowed choices are admin, edit, view.", 'hint: see `berth adm policy add-role-to-user --help`'],
    ['a chunk size out of range', ['get', 'cm', '--chunk-size', '0'], "error: option '--chunk-size <n>' argument '0' is invalid. must be a whole number from 1 to 1000", 'hint: see `berth get --help`'],
    ['login without a username', ['login', 'http://127.0.0.1:1'], "error: required option '-u, --username <username>' not specified", 'hint: see `berth login --help`'],
    ['login without a password', ['login', 'http://127.0.0.1:1', '-u', 'x'], 'error: no password given', 'hint: pass --password P or set BERTH_PASSWORD'],
    ['new-app without a builder', ['new-app', './src'], 'error: "./src" is not BUILDER~SOURCE', 'hint: give the builder image and the source, e.g. `berth new-app python~./src` or `berth new-app python~https://github.com/org/repo.git`'],
    ['an --env that is not NAME=VALUE', ['start-build', 'web', '-e', '1X=2'], "error: option '-e, --env <NAME=VALUE>' argument '1X=2' is invalid. give NAME=VALUE, the name of letters, digits and \"_\", not starting with a digit", 'hint: see `berth start-build --help`'],
    ['logs of something that is not a build', ['logs', 'cm/x'], 'error: "cm/x" names neither a build nor a buildconfig', 'hint: give build/NAME or bc/NAME'],
    ['login to something that is not a URL', ['login', 'ftp://example', '-u', 'x', '-p', 'y'], 'error: "ftp://example" is not an http or https URL', 'hint: give one like http://127.0.0.1:7080'],
  ])('%s exits 2 with one error and one hint', async (_, argv, error, hint) => {
    const r = await runCli(argv, env);

    expect(r).toEqual({ code: 2, stdout: '', stderr: `${error}\n${hint}\n` });
  });

  it('no command at all prints the help on stderr and exits 2', async () => {
    const r = await runCli([], env);

    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: berth \[options\] \[command\]/);
    expect(r.stderr).toContain('adm');
  });

  it('--help prints the help on stdout and exits 0', async () => {
    const r = await runCli(['get', '--help'], env);

    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: berth get \[options\] <KIND> \[NAME\.\.\.\]/);
    expect(r.stdout).toContain('-n, --project <project>');
  });
});
