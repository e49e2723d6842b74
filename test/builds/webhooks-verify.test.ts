// The pure parts of webhooks: GitHub's signature (checked against GitHub's own published test
// vector), constant-time secret comparison, and which pushes a BuildConfig builds.
import { describe, expect, it } from 'vitest';
import { githubSignature, githubSignatureMatches, refMatches, secretMatches } from '../../shared/builds/webhooks/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('GitHub signatures', () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
  const secret = "It's a Secret to Everybody";
  const vector = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("match GitHub's documented test vector", () => {
    expect(githubSignature(enc('Hello, World!'), secret)).toBe(vector);
    expect(githubSignatureMatches(enc('Hello, World!'), secret, vector)).toBe(true);
    expect(githubSignatureMatches(enc('Hello, World!'), secret, vector.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
  });

  it.each([
    ['another body', 'Hello, World?', vector],
    ['another secret', 'Hello, World!', githubSignature(enc('Hello, World!'), 'not the secret')],
    ['no header', 'Hello, World!', undefined],
    ['a bare hex digest', 'Hello, World!', vector.slice('sha256='.length)],
    ['a truncated digest', 'Hello, World!', vector.slice(0, -2)],
    ['a sha1 header', 'Hello, World!', 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59'],
    ['non-hex digits', 'Hello, World!', `sha256=${'z'.repeat(64)}`],
  ])('refuse %s', (_what, body, header) => {
    expect(githubSignatureMatches(enc(body), secret, header)).toBe(false);
  });
});

describe('secretMatches', () => {
  it.each([
    ['the same secret', 'abcdefgh', 'abcdefgh', true],
    ['a prefix', 'abcdefg', 'abcdefgh', false],
    ['a longer string', 'abcdefghi', 'abcdefgh', false],
    ['another case', 'ABCDEFGH', 'abcdefgh', false],
    ['nothing', undefined, 'abcdefgh', false],
    ['empty', '', 'abcdefgh', false],
  ])('%s → %s', (_what, given, expected, result) => {
    expect(secretMatches(given, expected)).toBe(result);
  });
});

describe('refMatches (which pushes build)', () => {
  it.each([
    ['main', 'refs/heads/main', undefined, true],
    ['main', 'refs/heads/develop', 'main', false],
    ['refs/heads/release', 'refs/heads/release', undefined, true],
    ['release', 'release', undefined, true],
    ['v1', 'refs/tags/v1', undefined, false],
    ['refs/tags/v1', 'refs/tags/v1', undefined, true],
    [undefined, 'refs/heads/trunk', 'trunk', true],
    [undefined, 'refs/heads/main', 'trunk', false],
    [undefined, 'refs/heads/master', undefined, true],
    [undefined, 'refs/heads/main', undefined, true],
    [undefined, 'refs/heads/feature', undefined, false],
  ])('config ref %s, push %s, default %s → %s', (configRef, pushed, defaultBranch, result) => {
    expect(refMatches(configRef, pushed, defaultBranch)).toBe(result);
  });
});
