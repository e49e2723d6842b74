// The KMS SecretBox's requests: one GenerateDataKey per process however many secrets it seals,
// no KMS call to open its own, and one Decrypt per foreign data key, with key and context.
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { KmsSecretBox } from '../../shared/secrets/index.ts';
import { KEY_ID, mockKms } from './kms-mock.ts';

describe('KmsSecretBox', () => {
  it('asks KMS for one AES-256 data key, bound to the encryption context, and seals many secrets with it', async () => {
    const { client, kms, blob } = mockKms();
    const box = new KmsSecretBox({ client, keyId: KEY_ID });
    const sealed = await Promise.all(['a-secret-1', 'a-secret-2', 'a-secret-3'].map((s) => box.seal(s)));
    const calls = kms.commandCalls(GenerateDataKeyCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: { 'berth:purpose': 'secrets' } });
    for (const s of sealed) expect(s.startsWith(`sealed:v1:kms:${blob.toString('base64url')}:`)).toBe(true);
    expect(await Promise.all(sealed.map((s) => box.open(s)))).toEqual(['a-secret-1', 'a-secret-2', 'a-secret-3']);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
  });

  it('another process opens them with one Decrypt of the stored data key, then from memory', async () => {
    const { client, kms, blob } = mockKms();
    const sealed = await Promise.all(['first-secret', 'second-secret'].map((s) => new KmsSecretBox({ client, keyId: KEY_ID }).seal(s)));
    kms.resetHistory();
    const other = new KmsSecretBox({ client, keyId: KEY_ID });
    expect(await Promise.all(sealed.map((s) => other.open(s)))).toEqual(['first-secret', 'second-secret']);
    const calls = kms.commandCalls(DecryptCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ CiphertextBlob: blob, KeyId: KEY_ID, EncryptionContext: { 'berth:purpose': 'secrets' } });
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(0);
  });

  it('a data key KMS will not open (other key or context) is a SecretBoxError, and a later call asks again', async () => {
    const { client, kms } = mockKms();
    const sealed = await new KmsSecretBox({ client, keyId: KEY_ID }).seal('context-bound');
    const wrongContext = new KmsSecretBox({ client, keyId: KEY_ID, encryptionContext: { 'berth:purpose': 'other' } });
    kms.resetHistory();
    await expect(wrongContext.open(sealed)).rejects.toThrow(/KMS cannot open/);
    await expect(wrongContext.open(sealed)).rejects.toThrow(/KMS cannot open/);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(2);
  });

  it('a failed GenerateDataKey is not remembered: the next seal asks again', async () => {
    const client = new KMSClient({ region: 'eu-west-1' });
    const kms = mockClient(client);
    kms.on(GenerateDataKeyCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ KeyId: KEY_ID, Plaintext: new Uint8Array(32).fill(7), CiphertextBlob: new Uint8Array([1, 2, 3]) });
    const box = new KmsSecretBox({ client, keyId: KEY_ID });
    await expect(box.seal('retry-me-please')).rejects.toThrow('throttled');
    expect(await box.open(await box.seal('retry-me-please'))).toBe('retry-me-please');
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });
});
