// The router's configuration directories on disk: each configuration is written whole into a
// directory of its own (a generation), `current` is a symlink swapped atomically to the one
// HAProxy runs from, and only the current one and the one before are kept (a worker may still be
// starting from it). Scratch directories hold configurations that are only checked.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const genNo = (path: string) => Number(/gen-\d+-(\d+)$/.exec(path)?.[1] ?? 0);

export class Generations {
  private n = 0;
  /** The symlink HAProxy is started from (`-C`). */
  readonly current: string;

  constructor(private readonly dir: string) {
    this.current = join(dir, 'current');
  }

  /** Writes haproxy.cfg and its files into a new directory (`gen-…`, or `check-…` for a scratch one); its path. */
  async write(cfg: string, files: Map<string, string>, kind: 'gen' | 'check' = 'gen'): Promise<string> {
    const gen = join(this.dir, `${kind}-${Date.now()}-${++this.n}`);
    await mkdir(join(gen, 'certs'), { recursive: true, mode: 0o700 });
    await writeFile(join(gen, 'haproxy.cfg'), cfg, { mode: 0o600 });
    for (const [name, content] of files) {
      await mkdir(dirname(join(gen, name)), { recursive: true, mode: 0o700 });
      await writeFile(join(gen, name), content, { mode: 0o600 });
    }
    return gen;
  }

  async discard(gen: string): Promise<void> {
    await rm(gen, { recursive: true, force: true });
  }

  /** Makes `gen` current (an atomic swap of the symlink) and removes the generations before the previous one. */
  async makeCurrent(gen: string): Promise<void> {
    const tmp = `${this.current}.${this.n}.tmp`;
    await rm(tmp, { force: true });
    await symlink(gen, tmp);
    await rename(tmp, this.current);
    const gens = (await readdir(this.dir)).filter((n) => n.startsWith('gen-')).map((n) => join(this.dir, n));
    const old = gens.filter((g) => g !== gen).sort((a, b) => genNo(a) - genNo(b));
    for (const g of old.slice(0, -1)) await this.discard(g);
  }
}

/** Makes the certificate (and key, in one file) served when no route's matches: self-signed for `*.<domain>`. */
export function makeDefaultCert(file: string, domain: string): void {
  const dir = dirname(file);
  const keyFile = join(dir, 'default.key');
  const certFile = join(dir, 'default.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', `/CN=*.${domain}`,
    '-addext', `subjectAltName=DNS:*.${domain}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  execFileSync('sh', ['-c', `cat "${certFile}" "${keyFile}" > "${file}" && chmod 600 "${file}" && rm -f "${keyFile}"`]);
}

/** Whether `pem` holds a certificate and its private key, as HAProxy's crt file takes them. */
export const isCertificateAndKey = (pem: string): boolean => /-----BEGIN CERTIFICATE-----/.test(pem) && /-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem);

/**
 * Installs the certificate every router shares (chain and key in one PEM) as the default one,
 * readable by the agent's user only. Throws, writing nothing, when `pem` is not a certificate and key.
 */
export function installDefaultCert(file: string, pem: string): void {
  if (!isCertificateAndKey(pem)) throw new Error('the shared default certificate must hold a PEM certificate (chain) and its private key');
  writeFileSync(file, pem.endsWith('\n') ? pem : `${pem}\n`, { mode: 0o600 });
}
