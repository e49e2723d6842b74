// Benchmark runner: `npm run bench -- NAME [--json]`. Each benchmark module in bench/ exports
// `run(args)` returning rows for a readable table and a flat object of figures; with --json
// the figures are printed as one JSON object on the last line. Benchmarks never pass or fail
// on time: they measure and print.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  /** Rows of the readable table, printed with console.table. */
  rows: Record<string, string | number>[];
  /** The figures, flat, for --json. */
  figures: Record<string, number | string>;
  /** Lines printed before the table (what was measured, on what). */
  notes?: string[];
}

export type Bench = (args: string[]) => Promise<BenchResult>;

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const rest = argv.filter((a) => a !== '--json');
const name = rest.shift();
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--json]   (NAME: ${available.join(', ')})`);
  process.exit(2);
}
const mod = (await import(join(here, `${name}.ts`))) as { run: Bench };
const result = await mod.run(rest);
for (const line of result.notes ?? []) console.log(line);
console.table(result.rows);
if (json) console.log(JSON.stringify({ bench: name, ...result.figures }));
process.exit(0);
