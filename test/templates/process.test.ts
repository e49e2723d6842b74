// Template processing, pure: values generated from OpenShift's expressions, substitution of
// ${NAME} and ${{NAME}}, labels, and the refusals (unknown names, missing required values,
// malformed expressions) naming the parameter at fault.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.ts';
import { ALPHABET, ExpressionError, NUMERALS, SYMBOLS, alphabetOf, generateValue } from '../../shared/templates/generate.ts';
import { processTemplate } from '../../shared/templates/process.ts';
import { templateSpec } from '../../shared/templates/types.ts';

const spec = (s: unknown) => templateSpec.parse(s);
/** A random source that walks the alphabet in order, so the output is known. */
const counting = () => {
  let i = 0;
  return (n: number) => i++ % n;
};

describe('expression generator', () => {
  it.each([
    ['[a-z]{5}', 'abcdefghijklmnopqrstuvwxyz'],
    ['[a-zA-Z0-9]{5}', ALPHABET + NUMERALS],
    ['[\\w]{5}', ALPHABET + NUMERALS + '_'],
    ['[\\d]{5}', NUMERALS],
    ['[\\a]{5}', ALPHABET + NUMERALS],
    ['[\\A]{5}', SYMBOLS],
    ['[A-F\\d]{5}', 'ABCDEF' + NUMERALS],
  ])('%s draws from its alphabet', (expression, alphabet) => {
    const inner = expression.slice(1, expression.indexOf(']'));
    expect(alphabetOf(inner)).toBe(alphabet);
    for (let k = 0; k < 20; k++) {
      const v = generateValue(expression);
      expect(v).toHaveLength(5);
      for (const ch of v) expect(alphabet).toContain(ch);
    }
  });

  it('keeps the text around a generator and makes each generator its count', () => {
    expect(generateValue('user[A-C]{4}-[0-1]{3}', counting())).toBe('userABCA-010');
  });

  it('uses every character of the alphabet (a uniform draw, not a fixed one)', () => {
    const seen = new Set(generateValue('[a-d]{200}'));
    expect([...seen].sort().join('')).toBe('abcd');
  });

  it.each([
    ['[a-z]{0}', 'range must be within [1-255] characters'],
    ['[a-z]{256}', 'range must be within [1-255] characters'],
    ['[a-z]{x}', 'range must be within [1-255] characters'],
    ['[z-a]{3}', 'invalid range'],
    ['plain text', 'no generator'],
  ])('refuses %s', (expression, message) => {
    expect(() => generateValue(expression)).toThrow(ExpressionError);
    expect(() => generateValue(expression)).toThrow(message);
  });
});

describe('processTemplate', () => {
  const base = {
    parameters: [
      { name: 'NAME', value: 'web', required: true },
      { name: 'REPLICAS', value: '2' },
      { name: 'PASSWORD', generate: 'expression', from: '[a-z]{12}' },
      { name: 'FLAG', value: 'true' },
    ],
    objects: [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: '${NAME}' }, stringData: { password: '${PASSWORD}', url: 'postgresql://${NAME}:${PASSWORD}@db' } },
      { apiVersion: 'apps.openshift.io/v1', kind: 'DeploymentConfig', metadata: { name: '${NAME}', labels: { tier: 'front' } }, spec: { replicas: '${{REPLICAS}}', paused: '${{FLAG}}', note: 'x${{REPLICAS}}y', other: '${UNKNOWN}' } },
    ],
    labels: { app: '${NAME}' },
    message: 'Your password is ${PASSWORD}',
  };

  it('substitutes ${NAME} in text and a whole ${{NAME}} as its JSON value, one generated value everywhere', () => {
    const out = processTemplate(spec(base), { NAME: 'shop' });
    const [secret, dc] = out.items as any[];
    const password = out.parameters.find((p) => p.name === 'PASSWORD')!.value;
    expect(password).toMatch(/^[a-z]{12}$/);
    expect(secret.metadata.name).toBe('shop');
    expect(secret.stringData).toEqual({ password, url: `postgresql://shop:${password}@db` });
    expect(dc.spec.replicas).toBe(2);
    expect(dc.spec.paused).toBe(true);
    expect(dc.spec.note).toBe('x2y');
    expect(dc.spec.other).toBe('${UNKNOWN}');
    expect(out.message).toBe(`Your password is ${password}`);
  });

  it('adds the template labels to every object, the object\'s own winning', () => {
    const [secret, dc] = processTemplate(spec({ ...base, labels: { app: '${NAME}', tier: 'all' } }), {}).items as any[];
    expect(secret.metadata.labels).toEqual({ app: 'web', tier: 'all' });
    expect(dc.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('a given value wins over the default and over generation; an empty one is generated', () => {
    const out = processTemplate(spec(base), { PASSWORD: 'given-one', REPLICAS: '3' });
    expect((out.items[0] as any).stringData.password).toBe('given-one');
    expect((out.items[1] as any).spec.replicas).toBe(3);
    expect(processTemplate(spec(base), { PASSWORD: '' }).parameters.find((p) => p.name === 'PASSWORD')!.value).toMatch(/^[a-z]{12}$/);
  });

  it('a ${{NAME}} whose value is not JSON stays text', () => {
    const out = processTemplate(spec(base), { REPLICAS: 'many' });
    expect((out.items[1] as any).spec.replicas).toBe('many');
  });

  it('refuses an unknown parameter name, naming it', () => {
    try {
      processTemplate(spec(base), { NAEM: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).details).toEqual([{ field: 'parameterValues.NAEM', message: expect.stringContaining('no parameter "NAEM"') }]);
    }
  });

  it('refuses a required parameter without a value, naming it', () => {
    const s = spec({ parameters: [{ name: 'DB_PASSWORD', required: true }, { name: 'OK', required: true, generate: 'expression', from: '[a-z]{3}' }], objects: [] });
    expect(() => processTemplate(s, {})).toThrow(/DB_PASSWORD/);
    try {
      processTemplate(s, {});
    } catch (err) {
      expect((err as ValidationError).details).toEqual([{ field: 'parameters.DB_PASSWORD', message: expect.any(String) }]);
    }
    expect(processTemplate(s, { DB_PASSWORD: 'p' }).parameters.map((p) => p.name)).toEqual(['DB_PASSWORD', 'OK']);
  });

  it('refuses a malformed expression, naming the parameter', () => {
    const s = spec({ parameters: [{ name: 'X', generate: 'expression', from: '[a-z]{999}' }], objects: [] });
    expect(() => processTemplate(s, {})).toThrow(ValidationError);
    expect(() => processTemplate(s, {})).toThrow(/range must be within/);
  });

  it('the schema refuses duplicate parameters and generate without from', () => {
    expect(templateSpec.safeParse({ parameters: [{ name: 'A' }, { name: 'A' }] }).success).toBe(false);
    expect(templateSpec.safeParse({ parameters: [{ name: 'A', generate: 'expression' }] }).success).toBe(false);
    expect(templateSpec.safeParse({ parameters: [{ name: 'A-B' }] }).success).toBe(false);
  });
});
