/**
 * The emulated control plane's work queue. Controllers enqueue keys into named stages;
 * a drain, scheduled on the Clock as soon as work appears, runs the stages in a fixed
 * order until every queue is empty (so a Deployment's pods are created, scheduled and
 * started in one pass when the ready delay is 0). Keys are deduplicated, delayed work
 * uses Clock timers, and a drain yields after a bounded number of items so HTTP requests
 * keep being served. On a virtual clock the drain runs when the simulator advances time.
 */
import type { Clock, Timer } from '../../../src/ports/clock.ts'

export interface Stage {
  name: string
  process (key: string): void
}

export interface ReconcileLoop {
  enqueue (stage: string, key: string): void
  /**
   * Enqueues after `ms`, rounded up to whole milliseconds (a later request for the same
   * key keeps the earliest time). Controllers compute `ms` as a remainder of clock
   * readings; on a drifting virtual clock a remainder of a few ulps would re-arm a timer
   * that lets time advance by ulps only, forever. A whole millisecond always gets there.
   */
  enqueueAfter (stage: string, key: string, ms: number): void
  /** Runs every queued item now, synchronously, until the queues are empty. */
  drain (): void
  /** Whether any immediate work is queued. */
  idle (): boolean
  stop (): void
}

/** Items processed per drain before yielding to other work. */
const BATCH = 5_000

export function createReconcileLoop (clock: Clock, stages: readonly Stage[], onError: (e: unknown, stage: string, key: string) => void): ReconcileLoop {
  const queues = new Map<string, Set<string>>(stages.map((s) => [s.name, new Set<string>()]))
  const delayed = new Map<string, { at: number, timer: Timer }>()
  let scheduled: Timer | undefined
  let stopped = false
  let draining = false

  function schedule (): void {
    if (scheduled !== undefined || stopped || draining) return
    scheduled = clock.setTimer(0, () => {
      scheduled = undefined
      run(BATCH)
    })
  }

  function pending (): boolean {
    for (const q of queues.values()) if (q.size > 0) return true
    return false
  }

  function run (budget: number): void {
    if (draining) return
    draining = true
    try {
      let done = 0
      while (pending() && done < budget) {
        for (const stage of stages) {
          const q = queues.get(stage.name) as Set<string>
          if (q.size === 0) continue
          const keys = [...q]
          q.clear()
          for (const key of keys) {
            done++
            try { stage.process(key) } catch (e) { onError(e, stage.name, key) }
          }
        }
      }
    } finally {
      draining = false
    }
    if (pending()) schedule()
  }

  return {
    enqueue (stage, key) {
      const q = queues.get(stage)
      if (q === undefined) throw new Error(`kube emulator: unknown reconcile stage ${stage}`)
      q.add(key)
      schedule()
    },
    enqueueAfter (stage, key, ms) {
      if (stopped) return
      if (ms <= 0) { this.enqueue(stage, key); return }
      ms = Math.ceil(ms)
      const id = `${stage}\u0000${key}`
      const at = clock.monotonicMs() + ms
      const existing = delayed.get(id)
      if (existing !== undefined && existing.at <= at) return
      existing?.timer.cancel()
      const timer = clock.setTimer(ms, () => {
        delayed.delete(id)
        this.enqueue(stage, key)
      })
      delayed.set(id, { at, timer })
    },
    drain () {
      scheduled?.cancel()
      scheduled = undefined
      run(Number.MAX_SAFE_INTEGER)
    },
    idle: () => !pending(),
    stop () {
      stopped = true
      scheduled?.cancel()
      for (const d of delayed.values()) d.timer.cancel()
      delayed.clear()
    }
  }
}
