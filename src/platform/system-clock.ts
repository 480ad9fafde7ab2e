/**
 * The production `Clock`: monotonic time from `performance.now()` (plus a fixed origin),
 * wall time from `Date.now()`, timers from one `setTimeout` per clock at a time.
 *
 * The clock keeps its own queue of deadlines (monotonic reading at `setTimer` plus the
 * delay) and runs, on each wake-up, every timer whose deadline has passed, in deadline
 * order, against one reading. A `setTimeout` per timer could not promise that order:
 * Node may wake up to a millisecond early against `performance.now()`, and a timer that
 * re-armed for the rest of its delay was then overtaken by one set just after it whose
 * check came a few microseconds later. So a timer never fires before its delay has
 * passed on this clock's own reading, timers fire in deadline order (equal delays in the
 * order they were set), and delays beyond `setTimeout`'s 2^31-1 ms limit are waited for
 * in steps instead of firing at once. The wake-up is unref'd by default: a site process
 * is kept alive by its servers, never by a periodic timer someone forgot to cancel.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import { checkDelayMs } from './delay.ts'
import { createEventQueue } from './event-queue.ts'

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

/** The system clock; readings are shared by every instance in the process, timers are each instance's own. */
export function createSystemClock (options: SystemClockOptions = {}): Clock {
  const keepAlive = options.keepAlive ?? false
  const monotonicMs = (): number => MONOTONIC_ORIGIN_MS + performance.now()
  /** Timers by deadline: the monotonic reading at `setTimer` plus the delay. */
  const queue = createEventQueue()
  let wake: { at: number, handle: NodeJS.Timeout } | undefined

  /** Points the one `setTimeout` at the earliest live deadline (or at nothing). */
  function arm (): void {
    const next = queue.peek()
    if (next === undefined) {
      if (wake !== undefined) clearTimeout(wake.handle)
      wake = undefined
      return
    }
    if (wake !== undefined && wake.at <= next.time) return
    if (wake !== undefined) clearTimeout(wake.handle)
    const handle = setTimeout(runDue, Math.min(Math.max(0, next.time - monotonicMs()), MAX_TIMEOUT_MS))
    if (!keepAlive) handle.unref()
    wake = { at: next.time, handle }
  }

  function runDue (): void {
    wake = undefined
    // One reading for the whole pass: of two timers, the later deadline never runs
    // without the earlier, and a timer set by a callback waits for a later pass.
    const now = monotonicMs()
    try {
      for (let next = queue.peek(); next !== undefined && next.time <= now; next = queue.peek()) queue.pop()!.run()
    } finally {
      // A throwing callback still leaves the later timers armed.
      arm()
    }
  }

  return {
    monotonicMs,
    wallMs: () => Date.now(),
    setTimer (ms: number, fn: () => void): Timer {
      checkDelayMs(ms)
      const event = queue.push(monotonicMs() + ms, fn)
      arm()
      return {
        cancel (): void {
          if (queue.cancel(event)) arm()
        }
      }
    }
  }
}
