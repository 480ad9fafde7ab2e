/**
 * Checks of flag values that are not durations: whole numbers with a lower bound, named
 * in the error as the user typed the flag.
 */
import { FlotillaError } from '../../model/errors.ts'

export function parseCount (flag: string, value: string, min: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new FlotillaError('input-invalid', `'--${flag}' must be a whole number >= ${min}: received ${JSON.stringify(value)}`,
      `E.g. --${flag} ${Math.max(min, 10)}.`)
  }
  return n
}
