// The difference between two router models, as HAProxy sees it. Two models have the same
// structure when they render alike but for the servers' addresses, weights and states and the
// maps' entries: then Runtime API commands take HAProxy from one to the other with no reload,
// and these are the commands. Pure: the router agent sends them.
import type { RouterModel } from './model.ts';
import { mapFiles } from './render.ts';

/** Backend fields the configuration does not show. */
const UNRENDERED = new Set<string>(['route', 'termination', 'servers']);

function sameValue(x: unknown, y: unknown): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
  return x === y;
}

/**
 * Whether two models render alike but for the servers' addresses, weights and states and the
 * maps' entries (server names and cookies follow from the backend's name and the slot's place).
 * Compares the models, not their text: cheap at 10,000 routes.
 */
export function sameStructure(a: RouterModel, b: RouterModel): boolean {
  if (a.backends.length !== b.backends.length || a.certs.length !== b.certs.length) return false;
  for (let i = 0; i < a.certs.length; i++) {
    const x = a.certs[i]!;
    const y = b.certs[i]!;
    if (x.file !== y.file || x.pem !== y.pem || x.host !== y.host) return false;
  }
  for (let i = 0; i < a.backends.length; i++) {
    const x = a.backends[i]! as unknown as Record<string, unknown>;
    const y = b.backends[i]! as unknown as Record<string, unknown>;
    if ((x.servers as unknown[]).length !== (y.servers as unknown[]).length) return false;
    for (const k in x) if (!UNRENDERED.has(k) && !sameValue(x[k], y[k])) return false;
    for (const k in y) if (!UNRENDERED.has(k) && !(k in x) && y[k] !== undefined) return false;
  }
  return true;
}

/** The Runtime API commands that take HAProxy from one model to another of the same structure. */
export function runtimeCommands(from: RouterModel, to: RouterModel): string[] {
  const before = new Map(from.backends.map((b) => [b.name, b]));
  const out: string[] = [];
  for (const be of to.backends) {
    const old = before.get(be.name);
    be.servers.forEach((s, i) => {
      const o = old?.servers[i];
      const id = `${be.name}/${s.name}`;
      if (!s.key) {
        if (o?.key) out.push(`set server ${id} state maint`);
        return;
      }
      if (!o || o.ip !== s.ip || o.port !== s.port) out.push(`set server ${id} addr ${s.ip} port ${s.port}`);
      if (!o || o.weight !== s.weight) out.push(`set server ${id} weight ${s.weight}`);
      if (!o?.key) out.push(`set server ${id} state ready`);
    });
  }
  return out;
}

/** A Runtime API argument: semicolons and backslashes escaped (a path may hold either). */
const cliArg = (s: string) => s.replace(/[\\;]/g, (c) => `\\${c}`);

/**
 * The Runtime API commands that take HAProxy from one model to another of the same structure,
 * map entries included: entries that go are deleted first, entries that come are added once
 * their servers are set, and freed slots are put in maintenance after that. (Every lookup is exact or longest-prefix, so the order of a map's
 * entries never matters.)
 */
export function runtimeChanges(from: RouterModel, to: RouterModel): string[] {
  const before = mapFiles(from);
  const removals: string[] = [];
  const additions: string[] = [];
  for (const [file, entries] of mapFiles(to)) {
    const old = new Map(before.get(file));
    const now = new Map(entries);
    for (const k of old.keys()) if (!now.has(k)) removals.push(`del map ${file} ${cliArg(k)}`);
    for (const [k, v] of now) {
      const was = old.get(k);
      if (was !== v) additions.push(`${was === undefined ? 'add' : 'set'} map ${file} ${cliArg(k)} ${v}`);
    }
  }
  // Slots go into maintenance last: a route moving to another pool backend keeps being served by
  // the old one until its map entry points at the new one.
  const servers = runtimeCommands(from, to);
  const down = servers.filter((c) => c.endsWith(' state maint'));
  return [...removals, ...servers.filter((c) => !c.endsWith(' state maint')), ...additions, ...down];
}

/**
 * How HAProxy goes from `from` to `to`: the Runtime API commands (none when nothing changed), or
 * undefined when the structure changed and only a new configuration (a reload) will do.
 */
export function runtimePlan(from: RouterModel, to: RouterModel): string[] | undefined {
  return sameStructure(from, to) ? runtimeChanges(from, to) : undefined;
}
