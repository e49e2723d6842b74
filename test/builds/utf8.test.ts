// Cutting UTF-8 without cutting characters: the pieces logs are stored and read in.
import { describe, expect, it } from 'vitest';
import { splitUtf8, wholeUtf8Length } from '../../shared/builds/utf8.ts';

describe('wholeUtf8Length', () => {
  it.each([
    ['empty', Buffer.alloc(0), 0],
    ['ASCII', Buffer.from('abc'), 3],
    ['ends with a whole é', Buffer.from('aé'), 3],
    ['ends inside é', Buffer.from('aé').subarray(0, 2), 1],
    ['ends with a whole €', Buffer.from('a€'), 4],
    ['ends one byte into €', Buffer.from('a€').subarray(0, 2), 1],
    ['ends two bytes into €', Buffer.from('a€').subarray(0, 3), 1],
    ['ends with a whole 🚀', Buffer.from('a🚀'), 5],
    ['ends three bytes into 🚀', Buffer.from('a🚀').subarray(0, 4), 1],
    ['only a stray continuation byte', Buffer.from([0x80]), 1],
  ])('%s', (_name, bytes, whole) => {
    expect(wholeUtf8Length(bytes)).toBe(whole);
  });
});

describe('splitUtf8', () => {
  it('cuts at the limit when that falls between characters', () => {
    expect(splitUtf8(Buffer.from('abcdefgh'), 3)).toEqual([
      { offset: 0, text: 'abc' },
      { offset: 3, text: 'def' },
      { offset: 6, text: 'gh' },
    ]);
  });

  it('moves a cut that would split a character back to the character\'s start', () => {
    const text = 'a€€b🚀c';
    const pieces = splitUtf8(Buffer.from(text), 5);
    expect(pieces).toEqual([
      { offset: 0, text: 'a€' },
      { offset: 4, text: '€b' },
      { offset: 8, text: '🚀c' },
    ]);
    expect(pieces.every((p) => Buffer.byteLength(p.text) <= 5)).toBe(true);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
  });
});
