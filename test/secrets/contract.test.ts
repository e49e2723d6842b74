// One contract for every SecretBox adapter: what goes in comes out, nothing readable is
// stored, and anything altered, foreign or unsealed is refused.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KmsSecretBox, LocalSecretBox, SecretBoxError, isSealed, type SecretBox } from '../../shared/secrets/index.ts';
import { KEY_ID, mockKms } from './kms-mock.ts';

const adapters: [string, () => Promise<SecretBox>][] = [
  ['local', () => LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-box-')), 'secrets.key'))],
  ['kms', async () => new KmsSecretBox({ client: mockKms().client, keyId: KEY_ID })],
];

describe.each(adapters)('SecretBox contract: %s', (_name, make) => {
  it('opens what it sealed, and the sealed form carries the version prefix and not the secret', async () => {
    const box = await make();
    for (const plain of ['webhook-secret-1', 'ünïcødé ✓ secret', 'x'.repeat(256), '']) {
      const sealed = await box.seal(plain);
      expect(sealed.startsWith('sealed:v1:')).toBe(true);
      expect(isSealed(sealed)).toBe(true);
      if (plain) expect(sealed).not.toContain(plain);
      expect(await box.open(sealed)).toBe(plain);
    }
  });

  it('seals the same secret differently each time', async () => {
    const box = await make();
    const [a, b] = [await box.seal('same-secret'), await box.seal('same-secret')];
    expect(a).not.toBe(b);
    expect([await box.open(a), await box.open(b)]).toEqual(['same-secret', 'same-secret']);
  });

  it('refuses an altered sealed string', async () => {
    const box = await make();
    const sealed = await box.seal('tamper-with-me');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    const altered = `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`;
    await expect(box.open(altered)).rejects.toBeInstanceOf(SecretBoxError);
    await expect(box.open(sealed.slice(0, 30))).rejects.toBeInstanceOf(SecretBoxError);
  });

  it('refuses plain text and another format', async () => {
    const box = await make();
    await expect(box.open('plain-secret')).rejects.toBeInstanceOf(SecretBoxError);
    await expect(box.open('sealed:v2:local:AAAA')).rejects.toBeInstanceOf(SecretBoxError);
    await expect(box.open('sealed:v1:other:AAAA')).rejects.toBeInstanceOf(SecretBoxError);
  });
});
