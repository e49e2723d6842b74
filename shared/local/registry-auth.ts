// The all-in-one registry's credentials, made at first start under PAAS_HOME/registry/auth and
// kept: the ES256 key the API signs registry tokens with and its self-signed certificate (the
// registry's `rootcertbundle`), the platform's own password (builds, hosts and pruning use it as
// `berth-platform`), and the secret the registry's notifications carry to the API.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLATFORM_REGISTRY_USER } from '../registry/types.ts';

export { PLATFORM_REGISTRY_USER };

export interface RegistryAuthFiles {
  privateKey: KeyObject;
  /** PEM certificate of the signing key, for Distribution's `auth.token.rootcertbundle`. */
  certFile: string;
  /** The password of PLATFORM_REGISTRY_USER at the token endpoint. */
  platformPassword: string;
  /** Bearer secret of the registry's notifications to the API. */
  eventsSecret: string;
}

/** Reads the credentials in `dir`, making any that are missing (openssl makes the certificate). */
export function ensureRegistryAuth(dir: string): RegistryAuthFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '3650', '-subj', '/CN=berth registry token signer'], { stdio: 'ignore' });
    chmodSync(keyFile, 0o600);
  }
  return {
    privateKey: createPrivateKey(readFileSync(keyFile)),
    certFile,
    platformPassword: secretFile(join(dir, 'platform.password')),
    eventsSecret: secretFile(join(dir, 'events.secret')),
  };
}

/** The platform's registry password, for programs started with PAAS_HOME (the builder agent). */
export function platformRegistryPassword(home: string): string | undefined {
  const file = join(registryAuthDir(home), 'platform.password');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export const registryAuthDir = (home: string) => join(home, 'registry', 'auth');

function secretFile(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
