/**
 * Checks of flag values that are not durations: whole numbers with a lower bound and
 * TCP ports, named in the error as the user typed the flag.
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

/** A TCP port to listen on, 1 to 65535. */
export function parsePort (flag: string, value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 65535) {
    throw new FlotillaError('input-invalid', `'--${flag}' must be a TCP port from 1 to 65535: received ${JSON.stringify(value)}`,
      `E.g. --${flag} 7443.`)
  }
  return n
}
