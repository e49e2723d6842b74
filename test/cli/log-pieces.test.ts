// The text of a build log carried by push notices (cli/follow.ts): printed once, in order, and
// only what follows on from what was printed; a piece that leaves a gap stops the printing where
// the text is still whole, so the read that follows starts there and nothing is printed twice.
import { describe, expect, it } from 'vitest';
import { printPieces } from '../../cli/follow.ts';

const PATH = '/api/v1/projects/shop/builds/web-1/log';
const piece = (offset: number, text: string) => ({ path: PATH, offset, text });

function print(pieces: ReturnType<typeof piece>[], offset: number): { out: string; offset: number; whole: boolean } {
  let out = '';
  const r = printPieces((bytes) => (out += Buffer.from(bytes).toString('utf8')), pieces, offset);
  return { out, ...r };
}

describe('log text from notices', () => {
  it('prints pieces that follow on, in offset order, whatever order they came in', () => {
    expect(print([piece(8, 'six\n'), piece(4, 'two\n')], 4)).toEqual({ out: 'two\nsix\n', offset: 12, whole: true });
  });

  it('passes over what was printed already, and counts offsets in UTF-8 bytes', () => {
    expect(print([piece(0, 'one\n'), piece(4, 'café\n')], 4)).toEqual({ out: 'café\n', offset: 10, whole: true });
  });

  it('stops at a gap with the offset of what it printed, so the read goes on from there', () => {
    expect(print([piece(4, 'two\n'), piece(12, 'ten\n')], 4)).toEqual({ out: 'two\n', offset: 8, whole: false });
  });

  it('prints nothing of a piece that starts inside what was printed', () => {
    expect(print([piece(2, 'e\ntwo\n')], 4)).toEqual({ out: '', offset: 4, whole: false });
  });
});
