// The local SecretBox: AES-256-GCM with one key kept in a file only its owner can read
// (mode 0600), made on first use. `npm run up` keeps it under PAAS_HOME.
import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decrypt, encrypt, KEY_BYTES } from './aes-gcm.ts';
import { SEALED_PREFIX, SecretBoxError, type SecretBox } from './ports.ts';

const HEADER = `${SEALED_PREFIX}local`;

export class LocalSecretBox implements SecretBox {
  private constructor(private readonly key: Buffer) {}

  /**
   * The box whose key is in `path`, creating the file (mode 0600, its folder 0700) when there
   * is none. Refuses a key file that others may read or that does not hold a 32-byte key.
   * @example const box = await LocalSecretBox.fromKeyFile(join(paasHome, 'secrets.key'));
   */
  static async fromKeyFile(path: string): Promise<LocalSecretBox> {
    const key = (await readKey(path)) ?? (await createKey(path));
    return new LocalSecretBox(key);
  }

  async seal(plain: string): Promise<string> {
    return `${HEADER}:${encrypt(this.key, HEADER, plain)}`;
  }

  async open(sealed: string): Promise<string> {
    if (!sealed.startsWith(`${HEADER}:`)) throw new SecretBoxError(`not a secret sealed by the local box (expected "${HEADER}:…")`);
    return decrypt(this.key, HEADER, sealed.slice(HEADER.length + 1));
  }
}

async function readKey(path: string): Promise<Buffer | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((mode & 0o077) !== 0) {
    throw new SecretBoxError(`the key file ${path} may be read by others (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``);
  }
  const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new SecretBoxError(`the key file ${path} does not hold a ${KEY_BYTES}-byte key (base64)`);
  return key;
}

/** Writes a new key beside `path` and links it into place, so that two processes racing agree on one key. */
async function createKey(path: string): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  const key = await readKey(path);
  if (!key) throw new SecretBoxError(`the key file ${path} vanished while it was being made`);
  return key;
}
