// Cutting UTF-8 bytes without cutting a character: logs are addressed by byte offsets, but each
// piece stored or returned must decode on its own.

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;

/** Splits bytes into pieces of at most `max` bytes (max ≥ 4), never inside a character. */
export function splitUtf8(bytes: Buffer, max: number): { offset: number; text: string }[] {
  const pieces: { offset: number; text: string }[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    let end = Math.min(offset + max, bytes.length);
    while (end < bytes.length && end > offset + 1 && isContinuation(bytes[end]!)) end--;
    pieces.push({ offset, text: bytes.subarray(offset, end).toString('utf8') });
    offset = end;
  }
  return pieces;
}

/** How many leading bytes hold whole characters: a character cut short at the end is left out. */
export function wholeUtf8Length(bytes: Buffer): number {
  let lead = bytes.length - 1;
  while (lead >= 0 && lead > bytes.length - 4 && isContinuation(bytes[lead]!)) lead--;
  if (lead < 0) return bytes.length;
  const b = bytes[lead]!;
  const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + size > bytes.length ? lead : bytes.length;
}
