// AES-256-GCM over one 32-byte key, the cipher both SecretBox adapters use. The header of the
// sealed string (format, scheme, wrapped key) is authenticated too, so no part can be swapped.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretBoxError } from './ports.ts';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** base64url(iv ‖ ciphertext ‖ tag) of `plain` under `key`, with `header` as associated data. */
export function encrypt(key: Buffer, header: string, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The inverse of `encrypt`; a wrong key, header or damaged text throws SecretBoxError. */
export function decrypt(key: Buffer, header: string, payload: string): string {
  const raw = Buffer.from(payload, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('the sealed secret is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(header, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('the sealed secret does not open with this key (sealed with another key, or damaged)');
  }
}
