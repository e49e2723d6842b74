export { isSealed, SEALED_PREFIX, SecretBoxError, type SecretBox } from './ports.ts';
export { LocalSecretBox } from './local.ts';
export { KmsSecretBox, type KmsSecretBoxOptions } from './kms.ts';
