/** A test clock for timer logic: time moves only when the test sets it. */
import type { Clock, Timer } from '../../src/ports/clock.ts'

/** A clock whose timers fire only when told, at whatever time the test has set. */
export function steppedClock (): Clock & { now: number, fire: () => void } {
  let timers: Array<{ at: number, fn: () => void, live: boolean }> = []
  const clock = {
    now: 0,
    monotonicMs: () => clock.now,
    wallMs: () => clock.now,
    setTimer (ms: number, fn: () => void): Timer {
      const t = { at: clock.now + ms, fn, live: true }
      timers.push(t)
      return { cancel () { t.live = false } }
    },
    fire () {
      const due = timers.filter((t) => t.live && t.at <= clock.now)
      timers = timers.filter((t) => !due.includes(t))
      for (const t of due) t.fn()
    }
  }
  return clock
}
