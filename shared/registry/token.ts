// Bearer tokens for the Distribution registry (Docker's token authentication protocol): JWTs
// signed with the platform's key, naming the repositories and actions they grant. Distribution
// 2.8 finds the verifying key by the header's `kid` in libtrust's form (a fingerprint of the
// public key) among the certificates of its `rootcertbundle`; registry-keys.ts makes both.
import { createHash, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** One grant of a token: `repository` `demo/web` [`pull`, `push`], or `registry` `catalog` [`*`]. */
export interface RegistryAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenIssuerOptions {
  /** The ES256 private key; its public half is in the registry's root certificate bundle. */
  privateKey: KeyObject;
  /** Distribution's `auth.token.issuer` and `auth.token.service`. */
  issuer: string;
  service: string;
  /** How long a token lasts: Docker asks for a new one per push or pull, so minutes suffice. */
  ttlSeconds?: number;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 300;

export class RegistryTokenIssuer {
  readonly issuer: string;
  readonly service: string;
  readonly ttlSeconds: number;
  private readonly kid: string;

  constructor(private readonly opts: TokenIssuerOptions) {
    this.issuer = opts.issuer;
    this.service = opts.service;
    this.ttlSeconds = opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    this.kid = libtrustKeyId(createPublicKey(opts.privateKey));
  }

  /** A token for `subject` granting `access` (possibly none: the registry then answers 401/403). */
  async sign(subject: string, access: RegistryAccess[], now = new Date()): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
    const iat = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.kid })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(this.service)
      .setIssuedAt(iat)
      .setNotBefore(iat - 10)
      .setExpirationTime(iat + this.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.opts.privateKey);
    return { token, expiresIn: this.ttlSeconds, issuedAt: now.toISOString() };
  }
}

/**
 * libtrust's key ID, which Distribution 2.8 matches a token's `kid` against: the SHA-256 of the
 * DER public key, its first 240 bits in base32, in groups of four joined by colons.
 * @example libtrustKeyId(publicKey) // 'ABCD:EFGH:…' (12 groups)
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const b32 = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return b32.match(/.{4}/g)!.join(':');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (inputs here are multiples of 5 bytes). */
function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}
