// The functions' logger loads pino with its first record: records written before it is loaded
// come out, in order, with their levels, and the level filter and child bindings still apply.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lazyLogger } from '../../functions/lazy-logger.ts';

function sink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('lazyLogger', () => {
  it('writes the records made before pino was loaded, in order, and those after', async () => {
    const { lines, stream } = sink();
    const logger = lazyLogger({ level: 'info' }, stream);
    expect(logger.level).toBe('info');
    logger.info({ n: 1 }, 'first');
    logger.debug({ n: 2 }, 'below the level');
    logger.error({ err: new Error('boom') }, 'second');
    expect(lines).toEqual([]);
    await logger.ready();
    logger.warn('third');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[30, 'first'], [50, 'second'], [40, 'third']]);
    expect(lines[0]).toMatchObject({ n: 1 });
    expect(lines[1]).toMatchObject({ err: { type: 'Error', message: 'boom' } });
  });

  it('children carry their bindings, even when made before the first record', async () => {
    const { lines, stream } = sink();
    const logger = lazyLogger({ level: 'info' }, stream);
    const child = logger.child({ reconciler: 'route-admission' });
    child.info({ ref: 'Route/demo/web' }, 'done');
    await (child as unknown as { ready(): Promise<void> }).ready();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([expect.objectContaining({ reconciler: 'route-admission', ref: 'Route/demo/web', msg: 'done', level: 30 })]);
  });
});
