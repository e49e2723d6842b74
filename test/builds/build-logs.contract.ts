// The BuildLogs contract: what every adapter (files under PAAS_HOME, the DynamoDB table) must do,
// run by build-logs.test.ts against each. Offsets are bytes of UTF-8; `next` is where to read on.
import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../shared/model/types.ts';
import type { BuildLogs } from '../../shared/builds/ports.ts';

let serial = 0;
const newBuild = (): ObjectRef => ({ kind: 'Build', project: 'logs', name: `app-${++serial}` });
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The whole log from `offset`, read on from each `next` until nothing more comes. */
export async function readAll(logs: BuildLogs, build: ObjectRef, offset = 0): Promise<{ text: string; next: number; reads: number }> {
  let text = '';
  let next = offset;
  for (let reads = 1; ; reads++) {
    const got = await logs.read(build, next);
    if (got.text === '') return { text, next: got.next, reads };
    text += got.text;
    next = got.next;
  }
}

export function buildLogsContract(name: string, make: () => Promise<BuildLogs>): void {
  describe(`BuildLogs contract: ${name}`, () => {
    it('a build with no log reads as empty, at the offset asked', async () => {
      const logs = await make();
      expect(await logs.read(newBuild(), 0)).toEqual({ text: '', next: 0, more: false });
      expect(await logs.read(newBuild(), 42)).toEqual({ text: '', next: 42, more: false });
    });

    it('appends read back in order, and next is the byte length', async () => {
      const logs = await make();
      const b = newBuild();
      await logs.append(b, 'Cloning source ...\n');
      await logs.append(b, 'Building with S2I\n');
      expect(await logs.read(b, 0)).toEqual({ text: 'Cloning source ...\nBuilding with S2I\n', next: 37, more: false });
    });

    it('reading from next returns only what was appended since', async () => {
      const logs = await make();
      const b = newBuild();
      await logs.append(b, 'one\n');
      const first = await logs.read(b, 0);
      await logs.append(b, 'two\n');
      await logs.append(b, 'three\n');
      expect(await logs.read(b, first.next)).toEqual({ text: 'two\nthree\n', next: 14, more: false });
    });

    it.each([
      ['the start of an append', 4, 'two\nthree\n'],
      ['inside the first append', 2, 'e\ntwo\nthree\n'],
      ['inside a later append', 9, 'hree\n'],
      ['the last byte', 13, '\n'],
    ])('an offset at %s returns the log from exactly there', async (_where, offset, rest) => {
      const logs = await make();
      const b = newBuild();
      for (const line of ['one\n', 'two\n', 'three\n']) await logs.append(b, line);
      expect(await logs.read(b, offset)).toEqual({ text: rest, next: 14, more: false });
    });

    it('reading at or past the end returns nothing and keeps the offset', async () => {
      const logs = await make();
      const b = newBuild();
      await logs.append(b, 'done\n');
      expect(await logs.read(b, 5)).toEqual({ text: '', next: 5, more: false });
      expect(await logs.read(b, 500)).toEqual({ text: '', next: 500, more: false });
    });

    it('a read cut at its size limit says there is more, and the last read says there is none', async () => {
      const logs = await make();
      const b = newBuild();
      const line = `${'x'.repeat(1023)}\n`;
      // 4.5 MB: more than one read gives, whatever the adapter's limit (2 MB in the table, 4 MB from a file).
      await logs.append(b, line.repeat(4608));
      const first = await logs.read(b, 0);
      expect(first.more).toBe(true);
      let last = first;
      let text = first.text;
      while (last.more) {
        last = await logs.read(b, last.next);
        text += last.text;
      }
      expect(text).toBe(line.repeat(4608));
      expect(last.next).toBe(4608 * 1024);
      expect(await logs.read(b, last.next)).toEqual({ text: '', next: last.next, more: false });
    }, 60_000);

    it('an empty append changes nothing', async () => {
      const logs = await make();
      const b = newBuild();
      await logs.append(b, 'a\n');
      await logs.append(b, '');
      expect(await logs.read(b, 0)).toEqual({ text: 'a\n', next: 2, more: false });
    });

    it('counts offsets in UTF-8 bytes and keeps every character whole', async () => {
      const logs = await make();
      const b = newBuild();
      const first = 'Étape 1 : café ☕ ok\n';
      const second = '构建成功 🚀 — 完了\n';
      await logs.append(b, first);
      await logs.append(b, second);
      expect(await logs.read(b, 0)).toEqual({ text: first + second, next: bytes(first + second), more: false });
      expect(await logs.read(b, bytes(first))).toEqual({ text: second, next: bytes(first + second), more: false });
      expect(await logs.read(b, bytes('Étape 1 : café '))).toEqual({ text: '☕ ok\n' + second, next: bytes(first + second), more: false });
    });

    it('a 1 MB append comes back byte for byte', async () => {
      const logs = await make();
      const b = newBuild();
      const big = Array.from({ length: 16_000 }, (_, i) => `step ${String(i).padStart(5, '0')}: ${'x'.repeat(50)}\n`).join('');
      expect(bytes(big)).toBeGreaterThan(1_000_000);
      await logs.append(b, 'before\n');
      await logs.append(b, big);
      await logs.append(b, 'after\n');
      const all = await readAll(logs, b);
      expect(all.text).toBe(`before\n${big}after\n`);
      expect(all.next).toBe(bytes(all.text));
      // And from the middle of the big append.
      expect((await readAll(logs, b, 7 + 500_000)).text).toBe(`${big}after\n`.slice(500_000));
    });

    it('a log longer than one read, all in three-byte characters, reads back whole across reads', async () => {
      const logs = await make();
      const b = newBuild();
      const line = `${'€'.repeat(1000)}\n`;
      const text = line.repeat(1_700); // about 5 MB
      for (let i = 0; i < 5; i++) await logs.append(b, text.slice(i * 340 * line.length, (i + 1) * 340 * line.length));
      const all = await readAll(logs, b);
      expect(all.reads).toBeGreaterThan(2);
      expect(all.text.length).toBe(text.length);
      expect(all.text === text).toBe(true);
      expect(all.next).toBe(bytes(text));
    }, 60_000);

    it('delete removes the build\'s log and only that; a later append starts a new log', async () => {
      const logs = await make();
      const [gone, kept] = [newBuild(), newBuild()];
      await logs.append(gone, 'secret output\n');
      await logs.append(kept, 'other build\n');
      await logs.delete(gone);
      expect(await logs.read(gone, 0)).toEqual({ text: '', next: 0, more: false });
      expect(await logs.read(kept, 0)).toEqual({ text: 'other build\n', next: 12, more: false });
      await logs.delete(gone); // again: nothing there, no error
      await logs.delete(newBuild());
      await logs.append(gone, 'again\n');
      expect(await logs.read(gone, 0)).toEqual({ text: 'again\n', next: 6, more: false });
    });

    it('concurrent appends keep every byte exactly once', async () => {
      const logs = await make();
      const b = newBuild();
      const lines = Array.from({ length: 60 }, (_, i) => `line ${i} ${'ü'.repeat(i * 7)} end ${i}\n`);
      await Promise.all(lines.map((l) => logs.append(b, l)));
      const all = await readAll(logs, b);
      expect(all.next).toBe(lines.reduce((n, l) => n + bytes(l), 0));
      const got = all.text.split('\n').filter(Boolean).map((l) => `${l}\n`);
      expect([...got].sort()).toEqual([...lines].sort());
    });
  });
}
