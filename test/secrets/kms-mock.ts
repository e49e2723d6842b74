// A stand-in for KMS behind aws-sdk-client-mock: GenerateDataKey hands out a fixed data key
// wrapped as an opaque blob, Decrypt unwraps only that blob under the same key and context.
import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

export const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export function mockKms() {
  const client = new KMSClient({ region: 'eu-west-1' });
  const kms = mockClient(client);
  const dataKey = randomBytes(32);
  const blob = Buffer.concat([Buffer.from('wrapped-by-kms:'), randomBytes(16)]);
  kms.on(GenerateDataKeyCommand).resolves({ KeyId: KEY_ID, Plaintext: new Uint8Array(dataKey), CiphertextBlob: new Uint8Array(blob) });
  kms.on(DecryptCommand).callsFake((input) => {
    const ok = Buffer.from(input.CiphertextBlob).equals(blob) && input.KeyId === KEY_ID && input.EncryptionContext?.['berth:purpose'] === 'secrets';
    if (!ok) throw new InvalidCiphertextException({ message: 'The ciphertext is invalid', $metadata: {} });
    return { KeyId: KEY_ID, Plaintext: new Uint8Array(dataKey) };
  });
  return { client, kms, blob };
}
