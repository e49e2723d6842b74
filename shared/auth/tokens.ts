// Opaque bearer tokens. The client gets 32 random bytes; the store keeps only their SHA-256,
// as a cluster-scoped Token object named by the hash, expiring through metadata.expiresAt.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'berth_';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenSpec {
  user: string;
}
