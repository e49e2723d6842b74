// The AWS SecretBox: envelope encryption under a KMS key. One data key is made per process
// (GenerateDataKey) and kept in memory; each sealed string carries that data key as KMS
// encrypted it, so any process can open it with one Decrypt per data key, then from memory.
import { DecryptCommand, GenerateDataKeyCommand, IncorrectKeyException, InvalidCiphertextException, type KMSClient } from '@aws-sdk/client-kms';
import { decrypt, encrypt, KEY_BYTES } from './aes-gcm.ts';
import { SEALED_PREFIX, SecretBoxError, type SecretBox } from './ports.ts';

const SCHEME = `${SEALED_PREFIX}kms:`;
/** Data keys of other processes kept open in memory, at most. */
const MAX_CACHED_KEYS = 64;

export interface KmsSecretBoxOptions {
  client: KMSClient;
  /** The KMS key (id, ARN or alias) that wraps the data keys. */
  keyId: string;
  /** Bound into every data key; Decrypt must present the same. Default {'berth:purpose': 'secrets'}. */
  encryptionContext?: Record<string, string>;
}

interface DataKey {
  plain: Buffer;
  /** base64url of the KMS ciphertext of the key. */
  wrapped: string;
}

export class KmsSecretBox implements SecretBox {
  private readonly client: KMSClient;
  private readonly keyId: string;
  private readonly context: Record<string, string>;
  private own?: Promise<DataKey>;
  private ownKey?: DataKey;
  private readonly opened = new Map<string, Promise<Buffer>>();

  constructor(opts: KmsSecretBoxOptions) {
    this.client = opts.client;
    this.keyId = opts.keyId;
    this.context = opts.encryptionContext ?? { 'berth:purpose': 'secrets' };
  }

  async seal(plain: string): Promise<string> {
    const key = await this.dataKey();
    const header = `${SCHEME}${key.wrapped}`;
    return `${header}:${encrypt(key.plain, header, plain)}`;
  }

  async open(sealed: string): Promise<string> {
    const m = /^sealed:v1:kms:([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/.exec(sealed);
    if (!m) throw new SecretBoxError(`not a secret sealed by the KMS box (expected "${SCHEME}…")`);
    const [, wrapped, payload] = m as unknown as [string, string, string];
    return decrypt(await this.unwrap(wrapped), `${SCHEME}${wrapped}`, payload);
  }

  /** This process's data key, made once; a failed attempt is forgotten so the next call retries. */
  private dataKey(): Promise<DataKey> {
    this.own ??= this.generate().catch((err) => {
      this.own = undefined;
      throw err;
    });
    return this.own;
  }

  private async generate(): Promise<DataKey> {
    const out = await this.client.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: this.context }));
    if (out.Plaintext?.length !== KEY_BYTES || !out.CiphertextBlob) throw new SecretBoxError('KMS GenerateDataKey returned no 256-bit data key');
    this.ownKey = { plain: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob).toString('base64url') };
    return this.ownKey;
  }

  /** The data key inside `wrapped`: this process's own, one opened before, or one KMS opens now. */
  private async unwrap(wrapped: string): Promise<Buffer> {
    if (this.ownKey?.wrapped === wrapped) return this.ownKey.plain;
    let key = this.opened.get(wrapped);
    if (!key) {
      if (this.opened.size >= MAX_CACHED_KEYS) this.opened.delete(this.opened.keys().next().value!);
      key = this.decryptKey(wrapped);
      this.opened.set(wrapped, key);
      key.catch(() => this.opened.delete(wrapped));
    }
    return key;
  }

  private async decryptKey(wrapped: string): Promise<Buffer> {
    try {
      const out = await this.client.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(wrapped, 'base64url'), KeyId: this.keyId, EncryptionContext: this.context }),
      );
      if (out.Plaintext?.length !== KEY_BYTES) throw new SecretBoxError('KMS Decrypt returned no 256-bit data key');
      return Buffer.from(out.Plaintext);
    } catch (err) {
      if (err instanceof InvalidCiphertextException || err instanceof IncorrectKeyException) {
        throw new SecretBoxError(`KMS cannot open the data key of this sealed secret: ${err.message}`);
      }
      throw err;
    }
  }
}
