// Options several commands share, and argument parsers that turn bad values into usage errors.
import { InvalidArgumentError, Option } from 'commander';
import { FORMATS } from './output.ts';

export const outputOption = (): Option => new Option('-o, --output <format>', 'print the full object(s) as json or yaml').choices(FORMATS);

export const projectOption = (): Option => new Option('-n, --project <project>', 'the project to work in (default: the current project)');

/** A whole number from `min` to `max`, for options such as --chunk-size. */
export function intBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}
