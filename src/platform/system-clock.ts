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

/** `finished` once fired or cancelled. */
interface Pending { deadline: number, seq: number, fn: () => void, finished: boolean }

/** The system clock; readings are shared by every instance in the process, timers are each instance's own. */
export function createSystemClock (options: SystemClockOptions = {}): Clock {
  const keepAlive = options.keepAlive ?? false
  const monotonicMs = (): number => MONOTONIC_ORIGIN_MS + performance.now()
  const queue = createDeadlineQueue()
  let seq = 0
  let wake: { at: number, handle: NodeJS.Timeout } | undefined

  /** Points the one `setTimeout` at the earliest live deadline (or at nothing). */
  function arm (): void {
    const next = queue.earliest()
    if (next === undefined) {
      if (wake !== undefined) clearTimeout(wake.handle)
      wake = undefined
      return
    }
    if (wake !== undefined && wake.at <= next.deadline) return
    if (wake !== undefined) clearTimeout(wake.handle)
    const handle = setTimeout(runDue, Math.min(Math.max(0, next.deadline - monotonicMs()), MAX_TIMEOUT_MS))
    if (!keepAlive) handle.unref()
    wake = { at: next.deadline, handle }
  }

  function runDue (): void {
    wake = undefined
    // One reading for the whole pass: of two timers, the later deadline never runs
    // without the earlier, and a timer set by a callback waits for a later pass.
    const now = monotonicMs()
    try {
      for (let next = queue.earliest(); next !== undefined && next.deadline <= now; next = queue.earliest()) {
        queue.removeEarliest()
        next.finished = true
        next.fn()
      }
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
      const pending: Pending = { deadline: monotonicMs() + ms, seq: seq++, fn, finished: false }
      queue.add(pending)
      arm()
      return {
        cancel (): void {
          if (pending.finished) return
          pending.finished = true
          queue.cancelled()
          arm()
        }
      }
    }
  }
}

/**
 * A binary min-heap of timers by (deadline, seq). Cancelled timers stay in it until they
 * reach the top (or until they are most of it), so cancelling is O(1) amortised.
 */
function createDeadlineQueue (): { add (p: Pending): void, earliest (): Pending | undefined, removeEarliest (): void, cancelled (): void } {
  let heap: Pending[] = []
  let cancelledCount = 0
  const before = (a: Pending, b: Pending): boolean => a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq)

  function up (i: number): void {
    const item = heap[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(item, heap[parent]!)) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = item
  }

  function down (i: number): void {
    const item = heap[i]!
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, item)) break
      heap[i] = heap[child]!
      i = child
    }
    heap[i] = item
  }

  function pop (): void {
    const last = heap.pop()!
    if (heap.length > 0) { heap[0] = last; down(0) }
  }

  function dropCancelledTop (): void {
    while (heap.length > 0 && heap[0]!.finished) { pop(); cancelledCount-- }
  }

  return {
    add (p) { heap.push(p); up(heap.length - 1) },
    earliest () { dropCancelledTop(); return heap[0] },
    removeEarliest () { dropCancelledTop(); if (heap.length > 0) pop() },
    cancelled () {
      cancelledCount++
      if (cancelledCount > 64 && cancelledCount * 2 > heap.length) {
        heap = heap.filter((p) => !p.finished)
        cancelledCount = 0
        for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i)
      }
    }
  }
}
