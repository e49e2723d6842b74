// Processing a template: each parameter's value (given, else its own, else generated), checked
// (an unknown name or a missing required value is a 422 naming it), then substituted into every
// string of every object — `${NAME}` as text, a whole string `${{NAME}}` as the JSON value it
// spells (a number, a boolean) — with the template's labels added to each object. Pure, given `random`.
import { ValidationError, type FieldProblem } from '../errors.ts';
import { ExpressionError, generateValue } from './generate.ts';
import type { TemplateSpec } from './types.ts';

export interface ProcessedTemplate {
  /** The objects, substituted, in the template's order. */
  items: Record<string, unknown>[];
  /** Every parameter with the value it got. */
  parameters: { name: string; value: string }[];
  message?: string;
}

const REFERENCE = /\$\{\{([a-zA-Z0-9_]+)\}\}|\$\{([a-zA-Z0-9_]+)\}/g;
const WHOLE_NON_STRING = /^\$\{\{([a-zA-Z0-9_]+)\}\}$/;

/** The value of each parameter; `given` are the values a user passed (`-p NAME=VALUE`). */
export function parameterValues(spec: Pick<TemplateSpec, 'parameters'>, given: Record<string, string>, random?: (n: number) => number): Map<string, string> {
  const problems: FieldProblem[] = [];
  const known = new Set(spec.parameters.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) problems.push({ field: `parameterValues.${name}`, message: `the template has no parameter "${name}"; it has ${[...known].join(', ') || 'none'}` });
  }
  const values = new Map<string, string>();
  spec.parameters.forEach((p, i) => {
    let value = given[p.name] ?? p.value ?? '';
    if (!value && p.generate === 'expression') {
      try {
        value = generateValue(p.from ?? '', random);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        problems.push({ field: `parameters[${i}].from`, message: err.message });
      }
    }
    if (p.required && !value) problems.push({ field: `parameters.${p.name}`, message: `parameter "${p.name}" is required and has no value: give it with -p ${p.name}=VALUE` });
    values.set(p.name, value);
  });
  if (problems.length) throw new ValidationError(problems.map((p) => p.message).join('; '), problems);
  return values;
}

/** `text` with each `${NAME}` and `${{NAME}}` of a known parameter replaced; unknown names are left as they are. */
export function substitute(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(REFERENCE, (all, nonString: string | undefined, plain: string | undefined) => {
    const name = nonString ?? plain!;
    return values.has(name) ? values.get(name)! : all;
  });
}

/** A whole-string `${{NAME}}` becomes the JSON value it spells, or stays text when it spells none. */
function substituteValue(text: string, values: ReadonlyMap<string, string>): unknown {
  const whole = WHOLE_NON_STRING.exec(text);
  if (whole && values.has(whole[1]!)) {
    const raw = values.get(whole[1]!)!;
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return substitute(text, values);
}

function walk(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return substituteValue(value, values);
  if (Array.isArray(value)) return value.map((v) => walk(v, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [substitute(k, values), walk(v, values)]));
  }
  return value;
}

function withLabels(o: Record<string, unknown>, labels: Record<string, string>): Record<string, unknown> {
  if (!Object.keys(labels).length) return o;
  const metadata = (o.metadata && typeof o.metadata === 'object' ? o.metadata : {}) as { labels?: Record<string, string> };
  return { ...o, metadata: { ...metadata, labels: { ...labels, ...metadata.labels } } };
}

/**
 * The objects of `spec` with parameters substituted and labels added.
 * @example processTemplate({ parameters: [{ name: 'N', value: 'web' }], objects: [{ kind: 'Service', metadata: { name: '${N}' } }] }, {}).items[0] // { kind: 'Service', metadata: { name: 'web' } }
 */
export function processTemplate(spec: TemplateSpec, given: Record<string, string>, random?: (n: number) => number): ProcessedTemplate {
  const values = parameterValues(spec, given, random);
  const labels = walk(spec.labels ?? {}, values) as Record<string, string>;
  const items = spec.objects.map((o) => withLabels(walk(o, values) as Record<string, unknown>, labels));
  const message = spec.message === undefined ? undefined : substitute(spec.message, values);
  return { items, parameters: [...values].map(([name, value]) => ({ name, value })), ...(message === undefined ? {} : { message }) };
}
