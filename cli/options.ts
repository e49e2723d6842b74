// Options several commands share, and argument parsers that turn bad values into usage errors.
import { InvalidArgumentError, Option } from 'commander';
import type { EnvVar } from '../shared/model/build-kinds.ts';
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


/** `--env K=V`, repeatable: each use adds one variable (a later one of the same name wins). */
export function collectEnv(value: string, previous: EnvVar[] = []): EnvVar[] {
  const at = value.indexOf('=');
  const name = at < 0 ? value : value.slice(0, at);
  if (at < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidArgumentError('give NAME=VALUE, the name of letters, digits and "_", not starting with a digit');
  }
  return [...previous.filter((e) => e.name !== name), { name, value: value.slice(at + 1) }];
}

export const envOption = (what: string): Option => new Option('-e, --env <NAME=VALUE>', what).argParser(collectEnv).default([], 'none');
