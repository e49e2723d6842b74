// Parameter values generated from an expression, as OpenShift's template generator makes them:
// `[a-zA-Z0-9]{16}`, `user[A-Z0-9]{3}`, `[\w]{8}`. A generator is a bracket of ranges and
// classes followed by a count of 1–255; the text around it is kept. The classes are OpenShift's:
// \w letters, digits and "_"; \d digits; \a letters and digits; \A symbols. Pure, given `random`.
import { randomInt } from 'node:crypto';

export const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const NUMERALS = '0123456789';
export const SYMBOLS = '~!@#$%^&*()-_+={}[]\\|<,>.?/"\';:`';

const CLASSES: Record<string, string> = {
  '\\w': ALPHABET + NUMERALS + '_',
  '\\d': NUMERALS,
  '\\a': ALPHABET + NUMERALS,
  '\\A': SYMBOLS,
};

/** A generator in an expression: `[ranges]{count}`. */
const GENERATOR = /\[([a-zA-Z0-9\-\\]+)\]\{([^}]*)\}/g;
/** One part of a bracket: a class (\w), a range (a-z) or one character. */
const PART = /\\[wdaA]|[a-zA-Z0-9]-[a-zA-Z0-9]|[a-zA-Z0-9]/g;

export class ExpressionError extends Error {}

/** The characters a bracket's contents stand for (`a-zA-Z0-9` → 62 characters). */
export function alphabetOf(ranges: string): string {
  let out = '';
  let consumed = 0;
  for (const m of ranges.matchAll(PART)) {
    if (m.index !== consumed) throw new ExpressionError(`malformed expression syntax: [${ranges}]`);
    consumed += m[0].length;
    const part = m[0];
    if (part.startsWith('\\')) out += CLASSES[part];
    else if (part.length === 1) out += part;
    else {
      const from = part.charCodeAt(0);
      const to = part.charCodeAt(2);
      if (from > to) throw new ExpressionError(`invalid range specified: ${part}`);
      for (let c = from; c <= to; c++) out += String.fromCharCode(c);
    }
  }
  if (consumed !== ranges.length || !out) throw new ExpressionError(`malformed expression syntax: [${ranges}]`);
  return out;
}

/**
 * A value made from `expression`, each generator replaced by `count` characters drawn from its
 * alphabet with `random(n)` (a uniform integer below n; crypto's by default).
 * @example generateValue('user[A-Z0-9]{3}') // 'userQ7Z'
 */
export function generateValue(expression: string, random: (n: number) => number = randomInt): string {
  let found = false;
  const value = expression.replace(GENERATOR, (_all, ranges: string, count: string) => {
    found = true;
    const n = /^\d+$/.test(count) ? Number(count) : NaN;
    if (!(n >= 1 && n <= 255)) throw new ExpressionError(`range must be within [1-255] characters (${count})`);
    const alphabet = alphabetOf(ranges);
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[random(alphabet.length)];
    return out;
  });
  if (!found) throw new ExpressionError(`no generator in "${expression}": write one as [a-zA-Z0-9]{16}`);
  return value;
}
