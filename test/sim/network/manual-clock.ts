/**
 * A tiny manual Clock for tests of the simulated network: time moves only when the test
 * advances it, and timers due at the same instant run in the order they were set, so a
 * run is deterministic. (The simulator's own virtual clock lives in sim/engine.)
 */
import type { Clock } from '../../../src/ports/clock.ts'

export interface ManualClock extends Clock {
  /** Runs every timer due within the next `ms`, in time order, and ends at now + ms. */
  advance (ms: number): void
  /** Timers not yet run or cancelled. */
  pending (): number
}

interface Entry { at: number, seq: number, fn: () => void, cancelled: boolean }

export function createManualClock (startMs = 0): ManualClock {
  let nowMs = startMs
  let seq = 0
  const queue: Entry[] = []
  const before = (x: Entry, y: Entry): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq)
  const insert = (e: Entry): void => {
    let lo = 0
    let hi = queue.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (before(queue[mid] as Entry, e)) lo = mid + 1
      else hi = mid
    }
    queue.splice(lo, 0, e)
  }
  return {
    monotonicMs: () => nowMs,
    wallMs: () => 1_700_000_000_000 + nowMs,
    setTimer (ms, fn) {
      const e: Entry = { at: nowMs + Math.max(0, ms), seq: seq++, fn, cancelled: false }
      insert(e)
      return { cancel: () => { e.cancelled = true } }
    },
    advance (ms) {
      const end = nowMs + ms
      for (;;) {
        const next = queue[0]
        if (next === undefined || next.at > end) break
        queue.shift()
        if (next.cancelled) continue
        nowMs = next.at
        next.fn()
      }
      nowMs = end
    },
    pending: () => queue.filter((e) => !e.cancelled).length
  }
}
