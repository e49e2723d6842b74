// LimitRange admission, pure: fills a container's missing requests and limits from the project's
// limit ranges (default, defaultRequest) and names every way it falls outside them (min, max,
// maxLimitRequestRatio). Works within the platform's own bounds (model/resource-bounds.ts), which
// are checked again on the filled container.
import type { FieldProblem } from '../errors.ts';
import type { Container } from '../model/deploy-kinds.ts';
import { DEFAULT_REQUEST } from '../model/pods.ts';
import { cpuMillis, memoryBytes } from '../model/quantity.ts';
import { resourceProblems } from '../model/resource-bounds.ts';
import type { LimitRange } from './kinds.ts';

type Name = 'cpu' | 'memory';
const PARSE: Record<Name, (q: string) => number | undefined> = { cpu: cpuMillis, memory: memoryBytes };

export interface Limited {
  containers: Container[];
  problems: FieldProblem[];
}

/**
 * The containers with defaults filled in, and the problems, each on its field under `path`
 * (`spec.template.spec.containers`).
 * @example applyLimitRanges([c], [lr], 'spec.containers').problems // [{ field: 'spec.containers.0.resources.requests.cpu', message: 'at most 1 (LimitRange "limits", max cpu)' }]
 */
export function applyLimitRanges(containers: Container[], ranges: LimitRange[], path: string): Limited {
  const problems: FieldProblem[] = [];
  const out = containers.map((given, i) => {
    const c: Container = { ...given, resources: { requests: { ...given.resources?.requests }, limits: { ...given.resources?.limits } } };
    const at = (part: string, name: Name) => `${path}.${i}.resources.${part}.${name}`;
    for (const lr of ranges) {
      for (const item of lr.spec.limits ?? []) {
        if ((item.type ?? 'Container') !== 'Container') continue;
        const said = `LimitRange "${lr.metadata.name}"`;
        for (const name of ['cpu', 'memory'] as const) {
          const req = c.resources.requests;
          const lim = c.resources.limits;
          if (lim[name] === undefined && item.default?.[name] !== undefined) lim[name] = item.default[name];
          if (req[name] === undefined) {
            const from = given.resources?.limits?.[name] ?? item.defaultRequest?.[name] ?? item.default?.[name];
            if (from !== undefined) req[name] = from;
          }
          const parse = PARSE[name];
          // A container that states neither gets the platform's default for both (model/pods.ts): that is what is held to the range.
          const neither = req[name] === undefined && lim[name] === undefined ? parse(DEFAULT_REQUEST[name]) : undefined;
          const r = req[name] === undefined ? neither : parse(req[name]!);
          const l = lim[name] === undefined ? neither : parse(lim[name]!);
          const min = item.min?.[name];
          const max = item.max?.[name];
          if (max !== undefined) {
            if (r !== undefined && r > parse(max)!) problems.push({ field: at('requests', name), message: `at most ${max} (${said}, max ${name})` });
            if (l !== undefined && l > parse(max)!) problems.push({ field: at('limits', name), message: `at most ${max} (${said}, max ${name})` });
          }
          if (min !== undefined) {
            if (r !== undefined && r < parse(min)!) problems.push({ field: at('requests', name), message: `at least ${min} (${said}, min ${name})` });
            if (l !== undefined && l < parse(min)!) problems.push({ field: at('limits', name), message: `at least ${min} (${said}, min ${name})` });
          }
          const ratio = item.maxLimitRequestRatio?.[name];
          if (ratio !== undefined && r !== undefined && l !== undefined && l > r * ratio) {
            problems.push({ field: at('limits', name), message: `at most ${ratio} times the request ${req[name]} (${said}, maxLimitRequestRatio ${name})` });
          }
        }
      }
    }
    for (const p of resourceProblems(c.resources)) problems.push({ field: `${path}.${i}.resources.${p.path.join('.')}`, message: p.message });
    return c;
  });
  return { containers: out, problems };
}
