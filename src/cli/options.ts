/** Parsers for option values: each rejects bad input with a sentence saying what was expected. */
import { InvalidArgumentError } from 'commander';

export function positiveNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${value}'.`);
  if (v <= 0) throw new InvalidArgumentError(`expected a number > 0, got ${value}.`);
  return v;
}

export function nonNegativeNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${value}'.`);
  if (v < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got ${value}.`);
  return v;
}

export function fraction(value: string): number {
  const v = nonNegativeNumber(value);
  if (v > 1) throw new InvalidArgumentError(`expected a fraction in [0, 1], got ${value}.`);
  return v;
}

export function positiveInt(value: string): number {
  const v = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(v) || v <= 0) {
    throw new InvalidArgumentError(`expected a whole number > 0, got '${value}'.`);
  }
  return v;
}

export function nonNegativeInt(value: string): number {
  const v = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'.`);
  }
  return v;
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'.`);
    }
    return value as T;
  };
}

export function intList(value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((p) => positiveInt(p.trim()));
}
