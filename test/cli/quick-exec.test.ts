// The quick path of exec and rsh (cli/quick-exec.ts) reads the plain forms exactly as commander
// does, and leaves every other form to the full program: each argv below is read by both, and
// where the quick path takes one, commander's action must be given the very same arguments.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { Context } from '../../cli/context.ts';
import { buildProgram, run } from '../../cli/program.ts';
import { parseQuick, type QuickCommand } from '../../cli/quick-exec.ts';

const ctx = new Context({ stdout: { write: () => true }, stderr: { write: () => true }, env: { BERTH_CONFIG: '/nonexistent/berth-config.json' } });

/** What commander gives exec's or rsh's action for argv; undefined when it fails or shows help instead. */
async function commanderReads(argv: string[]): Promise<QuickCommand | undefined> {
  const program = await buildProgram(ctx, argv[0]);
  program.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  let got: QuickCommand | undefined;
  for (const name of ['exec', 'rsh'] as const) {
    const cmd = program.commands.find((c: Command) => c.name() === name)!;
    cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    cmd.action((pod: string, command: string[], opts: Record<string, unknown>) => {
      got = { name, args: { pod, command, opts: { ...opts } } } as QuickCommand;
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch {
    return undefined;
  }
  return got;
}

const taken: string[][] = [
  ['exec', 'web-1-abcde', '--', 'true'],
  ['exec', 'web-1-abcde', 'true'],
  ['exec', 'pod/web-1-abcde', '--', 'sh', '-c', 'echo $HOME; exit 3'],
  ['exec', 'dc/web', '-n', 'demo', '--', 'python', 'manage.py', 'migrate'],
  ['exec', '-i', 'web-1-abcde', '--', 'cat'],
  ['exec', '-it', 'web-1-abcde', '--', 'bash'],
  ['exec', '-ti', '-n', 'demo', 'web-1-abcde', '--', 'bash'],
  ['exec', '--stdin', '--tty', '--project', 'demo', 'web-1-abcde', '--', 'ls', '-l'],
  ['exec', '--project=demo', 'web-1-abcde', '--', 'ls', '--', '-n'],
  ['exec', '-ndemo', 'web-1-abcde', '--', 'id'],
  ['exec', '-in', 'demo', 'web-1-abcde', '--', 'cat'],
  ['exec', 'web-1-abcde', '-n', 'one', '-n', 'two', '--', 'id'],
  ['exec', '--', 'web-1-abcde', '-i', 'x'],
  ['exec', 'web-1-abcde', 'echo', 'a', '-t', '--', '-x'],
  ['rsh', 'web-1-abcde'],
  ['rsh', 'dc/web', '-n', 'demo'],
  ['rsh', '-T', 'web-1-abcde', '--', 'python', '-c', 'print(1)'],
  ['rsh', '--no-tty', 'web-1-abcde', 'ls'],
  ['rsh', 'web-1-abcde', '--project', 'demo', '--', 'env'],
];

const leftToCommander: string[][] = [
  ['exec'],
  ['exec', 'web-1-abcde'],
  ['exec', 'web-1-abcde', '--'],
  ['exec', '--help'],
  ['exec', '-h'],
  ['exec', 'web-1-abcde', '-x', '--', 'true'],
  ['exec', '-iz', 'web-1-abcde', '--', 'true'],
  ['exec', 'web-1-abcde', 'ls', '-l'],
  ['exec', '-n', '--', 'web-1-abcde', 'true'],
  ['exec', '-n'],
  ['exec', '--project', '-i', 'web-1-abcde', '--', 'true'],
  ['exec', '--stdin=yes', 'web-1-abcde', '--', 'true'],
  ['exec', '-T', 'web-1-abcde', '--', 'true'],
  ['exec', '-', 'web-1-abcde', '--', 'true'],
  ['rsh'],
  ['rsh', '--help'],
  ['rsh', '-t', 'web-1-abcde'],
  ['rsh', '-i', 'web-1-abcde'],
  ['rsh', '--tty', 'web-1-abcde'],
  ['whoami'],
];

describe('the quick path of exec and rsh', () => {
  it.each(taken)('reads %j as commander does', async (...argv) => {
    const quick = parseQuick(argv);

    expect(quick).toBeDefined();
    expect(quick).toEqual(await commanderReads(argv));
  });

  it.each(leftToCommander)('leaves %j to the full program', (...argv) => {
    expect(parseQuick(argv)).toBeUndefined();
  });

  it('answers help and usage mistakes as the full program does', async () => {
    const out = (argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: { BERTH_CONFIG: '/nonexistent/berth-config.json' } };
      return run(argv, io).then((code) => ({ code, stdout, stderr }));
    };

    expect(await out(['exec', 'web-1-abcde'])).toEqual({ code: 2, stdout: '', stderr: "error: missing required argument 'COMMAND'\nhint: see `berth exec --help`\n" });
    expect((await out(['exec', '--help'])).stdout).toMatch(/^Usage: berth exec \[options\] <POD> <COMMAND\.\.\.>/);
    // Taken by the quick path: its failures read as the full program's do.
    expect(await out(['exec', 'web-1-abcde', '--', 'true'])).toEqual({ code: 1, stdout: '', stderr: 'error: no project given and no current project\nhint: pass `-n PROJECT`, switch with `berth project NAME`, or create one with `berth new-project NAME`\n' });
    expect(await out(['exec', 'a/b/c', '-n', 'demo', '--', 'true'])).toMatchObject({ code: 1, stderr: 'error: not logged in\nhint: log in with `berth login URL --username U --password P`\n' });
  });
});
