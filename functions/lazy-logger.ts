// A pino logger that loads pino with its first record. The functions log only when something
// goes wrong (or once per resync), so most cold starts never need pino, whose modules cost
// 10–20 ms to load. Records written before pino is there are kept, in order, and written as
// soon as it is (a few microtasks later: the bundled import is synchronous code behind a
// promise), so nothing is lost and the order holds.
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

type Method = (...args: unknown[]) => void;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LazyLogger = Logger & { ready(): Promise<void> };

/** A logger over `open`, which makes the real one (called at the first record only). */
function deferred(open: () => Promise<Logger>, level: string): LazyLogger {
  let real: Logger | undefined;
  let loading: Promise<void> | undefined;
  const queue: [string, unknown[]][] = [];
  const call = (l: Logger, method: string, args: unknown[]) => (l as unknown as Record<string, Method>)[method]!(...args);
  const load = () =>
    (loading ??= open().then((l) => {
      real = l;
      for (const [method, args] of queue.splice(0)) call(l, method, args);
    }));
  const logger: Record<string, unknown> = {
    level,
    /** Resolves once pino is loaded and every record so far is written. */
    ready: load,
    child: (bindings: Record<string, unknown>) => deferred(() => load().then(() => real!.child(bindings)), level),
  };
  for (const method of LEVELS) {
    logger[method] = (...args: unknown[]) => {
      if (real) return call(real, method, args);
      queue.push([method, args]);
      void load();
    };
  }
  return logger as unknown as LazyLogger;
}

/**
 * A pino logger with these options (and destination), loaded by its first record.
 * @example const logger = lazyLogger({ level: 'info' }); logger.error({ err }, 'failed')
 */
export function lazyLogger(options: LoggerOptions = {}, destination?: DestinationStream): LazyLogger {
  return deferred(() => import('pino').then(({ pino }) => (destination ? pino(options, destination) : pino(options))), options.level ?? 'info');
}
