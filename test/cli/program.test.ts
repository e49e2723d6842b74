// The command groups the program loads on demand: a run of a command builds only the groups that
// define it, so GROUPS_OF must name them all for each command, and the command must come out the
// same as in the full program.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS, GROUPS_OF, type CommandGroup } from '../../cli/program.ts';
import { Context } from '../../cli/context.ts';

const ctx = new Context({ stdout: { write: () => true }, stderr: { write: () => true }, env: { BERTH_CONFIG: '/nonexistent/berth-config.json' } });
const groups = Object.keys(COMMAND_GROUPS) as CommandGroup[];

/** Each command and subcommand with its whole help text, by path (`adm policy add-role-to-user`). */
function described(cmd: Command, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of cmd.commands) {
    const path = `${prefix}${sub.name()}`;
    out.set(path, sub.helpInformation());
    for (const [p, h] of described(sub, `${path} `)) out.set(p, h);
  }
  return out;
}

const topLevel = (program: Command) => program.commands.map((c) => c.name());

describe('command groups', () => {
  it('GROUPS_OF names, for every top-level command, the groups that define it', async () => {
    const definers = new Map<string, CommandGroup[]>();
    for (const g of groups) for (const name of topLevel(await buildProgram(ctx, undefined, [g]))) definers.set(name, [...(definers.get(name) ?? []), g]);

    expect(Object.fromEntries([...definers].sort())).toEqual(Object.fromEntries(Object.entries(GROUPS_OF).sort()));
  });

  it('a command built from its groups alone is the command of the full program, subcommands, options and help alike', async () => {
    const full = described(await buildProgram(ctx));

    for (const name of Object.keys(GROUPS_OF)) {
      const alone = described(await buildProgram(ctx, name));
      const mine = [...full].filter(([path]) => path === name || path.startsWith(`${name} `));
      expect(mine.length).toBeGreaterThan(0);
      for (const [path, help] of mine) expect({ path, help: alone.get(path) }).toEqual({ path, help });
      expect(topLevel(await buildProgram(ctx, name))).toEqual(topLevel(await buildProgram(ctx, undefined, GROUPS_OF[name]!)));
    }
  });

  it('builds every group for help, an unknown word or none', async () => {
    const all = topLevel(await buildProgram(ctx));

    expect(topLevel(await buildProgram(ctx, '--help'))).toEqual(all);
    expect(topLevel(await buildProgram(ctx, 'frobnicate'))).toEqual(all);
    expect(topLevel(await buildProgram(ctx, 'toString'))).toEqual(all);
    expect(all).toEqual(expect.arrayContaining(['create', 'set', 'exec', 'whoami', 'adm']));
    expect(topLevel(await buildProgram(ctx, 'exec'))).toEqual(['exec', 'rsh', 'port-forward']);
  });
});
