// Constant-time checks of what a webhook caller proves: the secret in the URL or a header, and
// GitHub's HMAC-SHA256 signature of the body
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const digest = (s: string | Uint8Array) => createHash('sha256').update(s).digest();

/**
 * Whether `given` equals `expected`, in time that depends on neither: both are hashed to
 * equal-length digests first, so not even the length is compared early.
 */
export function secretMatches(given: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(given ?? ''), digest(expected)) && given !== undefined;
}

/** The `X-Hub-Signature-256` value GitHub sends for `body` signed with `secret`. */
export function githubSignature(body: Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is `sha256=<hex HMAC-SHA256 of body under secret>`, compared in constant time. */
export function githubSignatureMatches(body: Uint8Array, secret: string, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(m[1]!, 'hex'), expected);
}
