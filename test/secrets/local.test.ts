// The local SecretBox's key file: made once with mode 0600, reused, never loosened, and a box
// with another key cannot open what this one sealed.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalSecretBox, SecretBoxError } from '../../shared/secrets/index.ts';

const freshPath = () => join(mkdtempSync(join(tmpdir(), 'berth-box-')), 'state', 'secrets.key');

describe('LocalSecretBox key file', () => {
  it('is made on first use with mode 0600 in a folder only its owner can enter, holding a 32-byte key', async () => {
    const path = freshPath();
    await LocalSecretBox.fromKeyFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o077).toBe(0);
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32);
  });

  it('is reused: a second box over the same file opens what the first sealed', async () => {
    const path = freshPath();
    const sealed = await (await LocalSecretBox.fromKeyFile(path)).seal('kept-across-restarts');
    const before = readFileSync(path, 'utf8');
    expect(await (await LocalSecretBox.fromKeyFile(path)).open(sealed)).toBe('kept-across-restarts');
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('boxes racing to make the file agree on one key', async () => {
    const path = freshPath();
    const boxes = await Promise.all(Array.from({ length: 8 }, () => LocalSecretBox.fromKeyFile(path)));
    const sealed = await boxes[0]!.seal('one-key-for-all');
    for (const box of boxes) expect(await box.open(sealed)).toBe('one-key-for-all');
  });

  it('a box with another key cannot open it', async () => {
    const sealed = await (await LocalSecretBox.fromKeyFile(freshPath())).seal('not-for-you');
    const other = await LocalSecretBox.fromKeyFile(freshPath());
    await expect(other.open(sealed)).rejects.toThrow(/another key/);
  });

  it('refuses a key file others may read, naming the fix', async () => {
    const path = freshPath();
    await LocalSecretBox.fromKeyFile(path);
    chmodSync(path, 0o644);
    await expect(LocalSecretBox.fromKeyFile(path)).rejects.toThrow(/chmod 600/);
  });

  it('refuses a key file that does not hold a 32-byte key', async () => {
    const path = freshPath();
    await LocalSecretBox.fromKeyFile(path);
    writeFileSync(path, Buffer.alloc(16).toString('base64'));
    await expect(LocalSecretBox.fromKeyFile(path)).rejects.toBeInstanceOf(SecretBoxError);
  });
});
