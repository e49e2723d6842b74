// A session into a pod and its audit records are made at once; the session is given only when
// both are there, and a session whose records failed is closed, never given.
import { describe, expect, it } from 'vitest';
import { openAudited } from '../../shared/events/audit.ts';

const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));
const failing = (ms: number, message: string) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms));

describe('openAudited', () => {
  it('gives the session only once the records are written, even when they come after it', async () => {
    const closed: string[] = [];
    let recorded = false;
    const session = await openAudited(later(5, 'session'), later(40, undefined).then(() => void (recorded = true)), (s) => closed.push(s));
    expect(session).toBe('session');
    expect(recorded).toBe(true);
    expect(closed).toEqual([]);
  });

  it('closes a session whose records could not be written, and throws the write error', async () => {
    const closed: string[] = [];
    await expect(openAudited(later(5, 'session'), failing(20, 'table unavailable'), (s) => closed.push(s))).rejects.toThrow('table unavailable');
    expect(closed).toEqual(['session']);
  });

  it('throws the opening error when the session could not be opened (nothing to close)', async () => {
    const closed: string[] = [];
    await expect(openAudited(failing(5, 'pod is not running'), later(5, undefined), (s: string) => closed.push(s))).rejects.toThrow('pod is not running');
    expect(closed).toEqual([]);
  });
});
