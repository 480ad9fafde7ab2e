/**
 * The one rule every `Clock` adapter applies to a timer's delay, so the system clock and
 * the simulator's virtual clock accept and refuse exactly the same values.
 */
import { FlotillaError } from '../model/errors.ts'

/** Throws `input-invalid` unless `ms` is a finite number >= 0 (0 means "as soon as possible, after the caller returns"). */
export function checkDelayMs (ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new FlotillaError('input-invalid', `'ms' must be a finite non-negative number: received ${String(ms)}`,
      'compute timer delays from monotonic readings and clamp them at 0')
  }
}
