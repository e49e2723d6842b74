// Manifests from a file or stdin (`-f FILE`, `-f -`): JSON or YAML (several documents allowed),
// each a single object or a List; and template parameters from `-p NAME=VALUE` and --param-file.
import { readFileSync } from 'node:fs';
import type { Context } from './context.ts';
import { CliError, EXIT_USAGE } from './errors.ts';

export type Manifest = Record<string, any>;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of `file`, or of stdin for "-". */
async function readSource(ctx: Context, file: string): Promise<string> {
  if (file === '-') {
    if (!ctx.io.stdin) throw new CliError('no standard input to read', 'give a file with -f FILE');
    return readAll(ctx.io.stdin);
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the path of a JSON or YAML file, or - for standard input', { exitCode: EXIT_USAGE });
  }
}

/** The documents of `file` (JSON, or YAML with one or more documents), each an object. */
export async function readManifests(ctx: Context, file: string): Promise<Manifest[]> {
  const text = await readSource(ctx, file);
  const where = file === '-' ? 'standard input' : file;
  let docs: unknown[];
  if (/^\s*[[{]/.test(text)) {
    try {
      docs = [JSON.parse(text)];
    } catch (err) {
      throw new CliError(`${where} is not valid JSON: ${(err as Error).message}`, 'check the file, or write it as YAML');
    }
  } else {
    const { parseAllDocuments } = await import('./yaml.ts');
    const parsed = parseAllDocuments(text);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const broken = list.find((d) => d.errors.length);
    if (broken) throw new CliError(`${where} is not valid YAML: ${broken.errors[0]!.message.split('\n')[0]}`, 'check the file, or write it as JSON');
    docs = list.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
  }
  const bad = docs.findIndex((d) => !d || typeof d !== 'object' || Array.isArray(d) || typeof (d as Manifest).kind !== 'string');
  if (bad >= 0) throw new CliError(`document ${bad + 1} of ${where} is not an object with a kind`, 'each document is one object (kind, apiVersion, metadata…) or a List of them');
  if (!docs.length) throw new CliError(`${where} holds no objects`, 'give a file with one object or a List');
  return docs as Manifest[];
}

/** The objects of the documents: a List's items, or the document itself. */
export const itemsOf = (docs: Manifest[]): Manifest[] => docs.flatMap((d) => (d.kind === 'List' || /List$/.test(d.kind) ? (d.items ?? []) : [d]));

/** Collects repeated `-p NAME=VALUE`. */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`-p ${value}: write it as NAME=VALUE`, 'e.g. -p DATABASE_USER=shop', { exitCode: EXIT_USAGE });
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Parameters from a file of NAME=VALUE lines (blank lines and # comments skipped); -p wins. */
export function paramsFromFile(file: string | undefined, given: Record<string, string>): Record<string, string> {
  if (!file) return given;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give a file of NAME=VALUE lines', { exitCode: EXIT_USAGE });
  }
  const fromFile: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new CliError(`${file}:${i + 1}: write each parameter as NAME=VALUE`, 'one parameter a line; # starts a comment', { exitCode: EXIT_USAGE });
    fromFile[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return { ...fromFile, ...given };
}
