// A route's certificates and key as HAProxy will load them: it reads every PEM block of the
// file it is given (the certificate, the key, the CA chain, concatenated) and refuses the whole
// configuration when any block is broken, or when a key is too weak for OpenSSL's default
// security level (RSA under 2048 bits). So every block is parsed here with node:crypto (the same
// OpenSSL), not just the first one, and nothing but white space may lie between blocks.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface PemBlock {
  type: string;
  /** The block, BEGIN and END lines included. */
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n([A-Za-z0-9+/=\r\n]*?)\r?\n?-----END \1-----/g;
/** Blocks per field: a certificate and its chain are a handful. */
export const MAX_PEM_BLOCKS = 16;
const KEY_TYPES = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** The PEM blocks of `text`, or why it is not a sequence of PEM blocks and white space. */
export function pemBlocks(text: string): { blocks: PemBlock[]; problem?: undefined } | { blocks?: undefined; problem: string } {
  const blocks: PemBlock[] = [];
  let at = 0;
  for (const m of text.matchAll(BLOCK)) {
    if (text.slice(at, m.index).trim()) return { problem: `has text outside its PEM blocks (before block ${blocks.length + 1}): give only the PEM blocks` };
    blocks.push({ type: m[1]!, text: m[0] });
    at = m.index! + m[0].length;
  }
  if (text.slice(at).trim()) return { problem: blocks.length ? `has text after PEM block ${blocks.length} (a broken or unterminated block?)` : 'is not PEM (-----BEGIN …----- … -----END …-----)' };
  if (!blocks.length) return { problem: 'is not PEM (-----BEGIN …----- … -----END …-----)' };
  if (blocks.length > MAX_PEM_BLOCKS) return { problem: `has more than ${MAX_PEM_BLOCKS} PEM blocks` };
  return { blocks };
}

/** Why a key is one HAProxy's OpenSSL will not use for a certificate, or undefined. */
function weakKey(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') return (details.modulusLength ?? 0) < 2048 ? `an RSA key of ${details.modulusLength} bits is too weak (at least 2048)` : undefined;
  if (type === 'ec') return CURVES.has(details.namedCurve ?? '') ? undefined : `the curve ${details.namedCurve} is not one of ${[...CURVES].join(', ')}`;
  return `a ${type} key is not supported (RSA or EC)`;
}

/**
 * Parses a field of certificates (a certificate and its chain, or CA certificates): every block
 * a certificate that node:crypto parses; with `servedKey`, the key in each one HAProxy can serve.
 */
export function certificates(text: string, opts: { servedKey: boolean }): { certs: X509Certificate[]; problem?: undefined } | { certs?: undefined; problem: string } {
  const parsed = pemBlocks(text);
  if (parsed.problem !== undefined) return { problem: parsed.problem };
  const certs: X509Certificate[] = [];
  for (const [i, b] of parsed.blocks.entries()) {
    const which = parsed.blocks.length > 1 ? `block ${i + 1}` : 'it';
    if (b.type !== 'CERTIFICATE') return { problem: `${which} is a ${b.type}, not a CERTIFICATE` };
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(b.text);
    } catch {
      return { problem: `${which} is not a valid certificate` };
    }
    const weak = opts.servedKey ? weakKey(cert.publicKey) : undefined;
    if (weak) return { problem: `${which}: ${weak}` };
    certs.push(cert);
  }
  return { certs };
}

/** Parses a private key field: exactly one unencrypted RSA or EC key that HAProxy can serve. */
export function privateKey(text: string): { key: KeyObject; problem?: undefined } | { key?: undefined; problem: string } {
  const parsed = pemBlocks(text);
  if (parsed.problem !== undefined) return { problem: parsed.problem };
  if (parsed.blocks.length !== 1) return { problem: `holds ${parsed.blocks.length} PEM blocks: give the private key alone` };
  const b = parsed.blocks[0]!;
  if (!KEY_TYPES.has(b.type)) return { problem: `is a ${b.type}, not an unencrypted private key` };
  let key: KeyObject;
  try {
    key = createPrivateKey(b.text);
  } catch {
    return { problem: 'is not a valid unencrypted private key' };
  }
  const weak = weakKey(key);
  return weak ? { problem: weak } : { key };
}
