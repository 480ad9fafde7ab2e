/**
 * The production `Clock`: monotonic time from `performance.now()` (plus a fixed origin),
 * wall time from `Date.now()`, timers from `setTimeout`. Timers are unref'd by default: a
 * site process is kept alive by its servers, never by a periodic timer someone forgot to
 * cancel, so stopping the servers lets the process exit. A timer never fires before its
 * delay has passed on this clock's own monotonic reading (Node may wake up to a
 * millisecond early against `performance.now()`; the timer then re-arms for the rest),
 * and delays beyond `setTimeout`'s 2^31-1 ms limit are chained instead of firing at once.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import { checkDelayMs } from './delay.ts'

export interface SystemClockOptions {
  /** Let pending timers keep the process alive. Default false (timers are unref'd). */
  keepAlive?: boolean
}

/**
 * Added to `performance.now()`, so a monotonic reading is never near 0 and code that
 * treats 0 as "never happened" is caught early (the virtual clock starts here too).
 */
export const MONOTONIC_ORIGIN_MS = 1_000_000

/** Longest delay `setTimeout` honours; Node fires longer ones after 1 ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** The system clock; readings are shared by every instance in the process. */
export function createSystemClock (options: SystemClockOptions = {}): Clock {
  const keepAlive = options.keepAlive ?? false
  const monotonicMs = (): number => MONOTONIC_ORIGIN_MS + performance.now()
  return {
    monotonicMs,
    wallMs: () => Date.now(),
    setTimer (ms: number, fn: () => void): Timer {
      checkDelayMs(ms)
      const start = monotonicMs()
      let handle: NodeJS.Timeout | undefined
      let done = false
      const arm = (delay: number): void => {
        handle = setTimeout(fire, Math.min(delay, MAX_TIMEOUT_MS))
        if (!keepAlive) handle.unref()
      }
      const fire = (): void => {
        const elapsed = monotonicMs() - start
        if (elapsed < ms) {
          arm(ms - elapsed)
          return
        }
        done = true
        handle = undefined
        fn()
      }
      arm(ms)
      return {
        cancel (): void {
          if (done) return
          done = true
          clearTimeout(handle)
          handle = undefined
        }
      }
    }
  }
}
