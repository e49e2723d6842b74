// create secret generic, create configmap, and the CLI's view of Secrets: `describe secret`
// lists keys and sizes only, never a value.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { ApiObject } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { projectOption } from '../options.ts';
import { collectionPath, resource } from '../resources.ts';

const KEY = /^[-._a-zA-Z0-9]+$/;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `K=V` of --from-literal and `[K=]FILE` of --from-file as keys and bytes. */
export function configEntries(literals: string[], files: string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const put = (key: string, value: Buffer, given: string) => {
    if (!KEY.test(key)) throw new CliError(`"${key}" (from ${given}) is not a valid key`, 'keys are letters, digits, "-", "_" and "."', { exitCode: EXIT_USAGE });
    if (out.has(key)) throw new CliError(`the key "${key}" is given twice`, 'give each key once', { exitCode: EXIT_USAGE });
    out.set(key, value);
  };
  for (const l of literals) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new CliError(`--from-literal "${l.split('=')[0]}" is not KEY=VALUE`, 'e.g. --from-literal password=s3cret', { exitCode: EXIT_USAGE });
    put(l.slice(0, eq), Buffer.from(l.slice(eq + 1), 'utf8'), '--from-literal');
  }
  for (const f of files) {
    const eq = f.indexOf('=');
    const [key, path] = eq > 0 ? [f.slice(0, eq), f.slice(eq + 1)] : [basename(f), f];
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      // reported below
    }
    if (!isFile) throw new CliError(`--from-file: ${path} is not a readable file`, 'give [KEY=]PATH of a file', { exitCode: EXIT_USAGE });
    put(key, readFileSync(path), `--from-file ${path}`);
  }
  if (!out.size) throw new CliError('give at least one --from-literal or --from-file', 'e.g. --from-literal password=s3cret --from-file ./tls.key', { exitCode: EXIT_USAGE });
  return out;
}

/** What `describe secret` shows in place of the data: each key with its size. */
export function secretForDescribe(o: ApiObject): { shown: ApiObject; extra: string[] } {
  const data = (o.spec?.data ?? {}) as Record<string, string>;
  const keys = Object.keys(data).sort();
  const lines = keys.map((k) => `  ${k}:  ${Buffer.from(data[k]!, 'base64').length} bytes`);
  return { shown: { ...o, spec: { type: o.spec?.type ?? 'Opaque' } }, extra: [keys.length ? `Data:\n${lines.join('\n')}` : 'Data:  <none>'] };
}

export function registerConfigCommands(program: Command, ctx: Context): void {
  const create = program.commands.find((c) => c.name() === 'create') ?? program.command('create').description('create an object of a kind that needs more than a name');
  /** A create command taking a name and keys from literals and files. */
  const fromSources = (cmd: Command, what: string) =>
    cmd
      .argument('<NAME>', `the ${what} name`)
      .option('--from-literal <KEY=VALUE>', 'a key and its value (repeatable)', collect)
      .option('--from-file <[KEY=]PATH>', 'a key (the file name unless given) and the file as its value (repeatable)', collect)
      .addOption(projectOption());
  const secret = create.command('secret').description('create a Secret');
  fromSources(secret.command('generic').description('create a Secret of keys and values (type Opaque), from literals and files'), 'secret')
    .option('--type <type>', 'the Secret type', 'Opaque')
    .action(async (name: string, opts: { fromLiteral?: string[]; fromFile?: string[]; type: string; project?: string }) => {
      const entries = configEntries(opts.fromLiteral ?? [], opts.fromFile ?? []);
      const project = ctx.project(opts.project ?? create.opts().project);
      const data = Object.fromEntries([...entries].map(([k, v]) => [k, v.toString('base64')]));
      await ctx.client().post(collectionPath(resource('Secret'), project), { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: opts.type, data });
      ctx.out(`secret/${name} created`);
    });

  fromSources(create.command('configmap').description('create a ConfigMap from literals and files (a file that is not UTF-8 text goes into binaryData)'), 'configmap')
    .action(async (name: string, opts: { fromLiteral?: string[]; fromFile?: string[]; project?: string }) => {
      const entries = configEntries(opts.fromLiteral ?? [], opts.fromFile ?? []);
      const project = ctx.project(opts.project ?? create.opts().project);
      const data: Record<string, string> = {};
      const binaryData: Record<string, string> = {};
      for (const [k, v] of entries) {
        const text = v.toString('utf8');
        if (Buffer.from(text, 'utf8').equals(v)) data[k] = text;
        else binaryData[k] = v.toString('base64');
      }
      await ctx.client().post(collectionPath(resource('ConfigMap'), project), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data, ...(Object.keys(binaryData).length ? { binaryData } : {}) });
      ctx.out(`configmap/${name} created`);
    });
}
