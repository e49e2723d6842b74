// The quick path of `berth exec` and `berth rsh`: their plain forms (`exec [-i] [-t] [-n P] POD --
// CMD…`, `rsh [-T] [-n P] POD [-- CMD…]`) read without commander, so that a command in a pod
// starts with the session module and the WebSocket client only. dist/cli/exec.cjs is this path
// as one file (scripts/bundle-cli.mjs); `run` (cli/program.ts) takes it too. Whatever it does not
// read exactly as commander would (help, an option it does not know, a missing argument) is left
// to the full program, which gives its usual answer: the quick path never answers differently,
// it only answers sooner. test/cli/quick-exec.test.ts holds the two readings to each other.
import { Context } from './context.ts';
import { reportFailure } from './errors.ts';
import type { Io } from './io.ts';
import { execInPod, rshInPod, type ExecArgs, type RshArgs } from './pod-exec.ts';

export type QuickCommand = { name: 'exec'; args: ExecArgs } | { name: 'rsh'; args: RshArgs };

/** The flags each command takes (short letter → option key, value); `n` (the project) takes a value. */
const FLAGS = {
  exec: { short: { i: ['stdin', true], t: ['tty', true] }, long: { '--stdin': ['stdin', true], '--tty': ['tty', true] } },
  rsh: { short: { T: ['tty', false] }, long: { '--no-tty': ['tty', false] } },
} as const satisfies Record<QuickCommand['name'], { short: Record<string, readonly [string, boolean]>; long: Record<string, readonly [string, boolean]> }>;

/**
 * argv (the command's name first) as commander reads it, when it is one of the plain forms;
 * undefined for anything else, which the full program then reads.
 */
export function parseQuick(argv: readonly string[]): QuickCommand | undefined {
  const name = argv[0];
  if (name !== 'exec' && name !== 'rsh') return undefined;
  const flags: { short: Record<string, readonly [string, boolean]>; long: Record<string, readonly [string, boolean]> } = FLAGS[name];
  const opts: Record<string, string | boolean> = name === 'rsh' ? { tty: true } : {};
  const operands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-')) {
      operands.push(a);
      continue;
    }
    const value = (v: string | undefined): boolean => {
      if (!v || v.startsWith('-')) return false;
      opts.project = v;
      return true;
    };
    if (a.startsWith('--')) {
      const [key, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (key === '--project') {
        if (!value(inline ?? argv[++i])) return undefined;
      } else if (inline === undefined && Object.hasOwn(flags.long, key)) {
        const [k, v] = flags.long[key]!;
        opts[k] = v;
      } else return undefined;
      continue;
    }
    // -i, -it, -tn P, -nP: flags together, the project's value after `n` (the rest, or the next word).
    const letters = a.slice(1);
    if (!letters) return undefined;
    for (let j = 0; j < letters.length; j++) {
      const l = letters[j]!;
      if (l === 'n') {
        if (!value(letters.slice(j + 1) || argv[++i])) return undefined;
        break;
      }
      if (!Object.hasOwn(flags.short, l)) return undefined;
      const [k, v] = flags.short[l]!;
      opts[k] = v;
    }
  }
  const [pod, ...command] = operands;
  if (pod === undefined || (name === 'exec' && command.length === 0)) return undefined;
  return name === 'exec' ? { name, args: { pod, command, opts } } : { name, args: { pod, command, opts: opts as RshArgs['opts'] } };
}

/** Runs exec or rsh when argv is a plain form of it: its exit code; undefined when the full program must read argv. */
export async function runQuick(argv: readonly string[], io: Io): Promise<number | undefined> {
  const parsed = parseQuick(argv);
  if (!parsed) return undefined;
  const ctx = new Context(io);
  try {
    await (parsed.name === 'exec' ? execInPod(ctx, parsed.args) : rshInPod(ctx, parsed.args));
    return 0;
  } catch (err) {
    return reportFailure(io, err);
  }
}
