/**
 * A time-out that does not blame a peer for this process's own stall. When the timer
 * fires long after it was due, the process itself did not run meanwhile (a long
 * controller tick, a GC pause, an overloaded host), and the peer's answer may be sitting
 * unread behind the timer: it then waits once more, briefly, before giving up. Found by
 * the replication benchmark: a new site joining 10,000 workloads abandoned sessions whose
 * replies had arrived during its own ticks, then fetched the same changes again. On the
 * simulator's virtual clock timers are never late, so nothing changes there.
 */
import type { Clock, Timer } from '../ports/clock.ts'

export function setPatientTimer (clock: Clock, ms: number, onExpire: () => void): Timer {
  const due = clock.monotonicMs() + ms
  const lateMs = Math.max(250, ms / 10)
  let cancelled = false
  let current = clock.setTimer(ms, () => {
    if (clock.monotonicMs() - due > lateMs) {
      current = clock.setTimer(Math.min(ms, 1000), () => { if (!cancelled) onExpire() })
      return
    }
    onExpire()
  })
  return {
    cancel () {
      cancelled = true
      current.cancel()
    }
  }
}
