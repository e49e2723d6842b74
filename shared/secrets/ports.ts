// The SecretBox port: seals short secrets (webhook secrets) for storage and opens them again.
// Sealed strings name their format, `sealed:v1:<scheme>:…`, so that an adapter can refuse one
// it did not make and a later format can sit beside this one.

export const SEALED_PREFIX = 'sealed:v1:';

export interface SecretBox {
  /** The sealed form of `plain`: `sealed:v1:<scheme>:…`. Each call gives a different string. */
  seal(plain: string): Promise<string>;
  /** The plain text of a string `seal` made; throws SecretBoxError for anything else. */
  open(sealed: string): Promise<string>;
}

/** Whether `value` has the form of a sealed string (it may still be one this box cannot open). */
export const isSealed = (value: string): boolean => value.startsWith(SEALED_PREFIX);

/** A sealed string that cannot be opened: another format, another key, or damaged. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}
