// adm prune: remove old builds, old deployments (ReplicationControllers) and unused images of
// every project, as `oc adm prune` does: a dry run lists what would go, --confirm removes it.
import { InvalidArgumentError, type Command } from 'commander';
import { PRUNE_DEFAULTS, parseDuration, type PruneItem } from '../../shared/prune/plan.ts';
import type { Context } from '../context.ts';
import { intBetween } from '../options.ts';
import { table } from '../output.ts';

interface PruneOpts {
  confirm?: boolean;
  keepComplete?: number;
  keepFailed?: number;
  keepYoungerThan?: string;
  keepTagRevisions?: number;
}

const duration = (value: string): string => {
  if (parseDuration(value) === undefined) throw new InvalidArgumentError('give a duration such as 90s, 60m, 1h30m or 2d');
  return value;
};

const TARGETS = [
  { name: 'builds', what: 'finished builds beyond the newest of each build config', keeps: true, tags: false },
  { name: 'deployments', what: "old revisions (replication controllers) beyond each deployment config's history, and those of deleted deployment configs", keeps: true, tags: false },
  { name: 'images', what: 'image stream history no replication controller, pod, deployment config or running build uses, and its images in the registry', keeps: false, tags: true },
] as const;

export function registerPruneCommands(adm: Command, ctx: Context): void {
  const prune = adm.command('prune').description('remove old builds, deployments and unused images of every project (cluster-admin; a dry run unless --confirm)');
  for (const t of TARGETS) {
    const cmd = prune
      .command(t.name)
      .description(`list (with --confirm, remove) ${t.what}`)
      .option('--confirm', 'remove what is listed (without it, nothing changes)')
      .option('--keep-younger-than <duration>', `keep what is younger than this (default ${PRUNE_DEFAULTS.keepYoungerThanMs / 60_000}m)`, duration);
    if (t.keeps) {
      cmd
        .option('--keep-complete <n>', `complete ones to keep per ${t.name === 'builds' ? 'build' : 'deployment'} config (default ${PRUNE_DEFAULTS.keepComplete})`, intBetween(0, 1000))
        .option('--keep-failed <n>', `failed ones to keep per ${t.name === 'builds' ? 'build' : 'deployment'} config (default ${PRUNE_DEFAULTS.keepFailed})`, intBetween(0, 1000));
    }
    if (t.tags) cmd.option('--keep-tag-revisions <n>', `newest images to keep per tag (default ${PRUNE_DEFAULTS.keepTagRevisions})`, intBetween(1, 1000));
    cmd.action(async (opts: PruneOpts) => {
      const res = await ctx.client().post<{ items: PruneItem[] }>(`/api/v1/prune/${t.name}`, {
        confirm: opts.confirm ?? false,
        ...(opts.keepComplete !== undefined ? { keepComplete: opts.keepComplete } : {}),
        ...(opts.keepFailed !== undefined ? { keepFailed: opts.keepFailed } : {}),
        ...(opts.keepYoungerThan !== undefined ? { keepYoungerThan: opts.keepYoungerThan } : {}),
        ...(opts.keepTagRevisions !== undefined ? { keepTagRevisions: opts.keepTagRevisions } : {}),
      });
      if (res.items.length) {
        const rows = res.items.map((i) => [i.project, t.tags ? `${i.name}:${i.tag}` : i.name, ...(t.tags ? [i.image ?? ''] : []), i.reason]);
        ctx.out(table(['NAMESPACE', t.tags ? 'IMAGESTREAM:TAG' : 'NAME', ...(t.tags ? ['IMAGE'] : []), 'REASON'], rows).trimEnd());
      }
      const n = res.items.length;
      if (opts.confirm) ctx.out(`${n} ${t.name} pruned`);
      else ctx.out(`Dry run: ${n} ${t.name} would be pruned; nothing was changed. Add --confirm to remove them.`);
    });
  }
}
