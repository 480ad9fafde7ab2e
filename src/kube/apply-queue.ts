/**
 * The reconciler's work queue: keys waiting to be applied or pruned, taken in rank order
 * (namespaces before the objects in them, workloads before ingresses) by a bounded
 * number of workers. A key is never worked on twice at once: one queued while in flight
 * runs again when its worker finishes, so the last state always wins.
 */
import type { WorkloadKey } from '../model/kube.ts'
import type { Logger } from '../ports/logger.ts'

export interface ApplyQueueOptions {
  ranks: number
  /** Workers at once. */
  concurrency: number
  rankOf: (key: WorkloadKey) => number
  run: (key: WorkloadKey) => Promise<void>
  /** Workers start only while this holds. */
  running: () => boolean
  logger: Logger
}

export interface ApplyQueue {
  enqueue (key: WorkloadKey): void
  inFlight (key: WorkloadKey): boolean
  /** Queues every key `fn` enqueues, and only then starts workers (one pass over a desired set). */
  batch (fn: () => void): void
  /** Starts workers for what is queued (after a start, or when capacity frees). */
  pump (): void
}

export function createApplyQueue (options: ApplyQueueOptions): ApplyQueue {
  const { ranks, concurrency, rankOf, run, running, logger } = options
  const queue: Array<Set<WorkloadKey>> = Array.from({ length: ranks }, () => new Set())
  let queued = 0
  const inFlight = new Set<WorkloadKey>()
  const again = new Set<WorkloadKey>()
  let batching = false

  function take (): WorkloadKey | undefined {
    for (const q of queue) {
      for (const key of q) {
        q.delete(key)
        queued--
        return key
      }
    }
    return undefined
  }

  function pump (): void {
    while (running() && inFlight.size < concurrency && queued > 0) {
      const key = take()
      if (key === undefined) return
      inFlight.add(key)
      void work(key)
    }
  }

  async function work (key: WorkloadKey): Promise<void> {
    try {
      await run(key)
    } catch (e) {
      logger.error({ key, err: e instanceof Error ? e.message : String(e) }, 'reconciling an object failed unexpectedly')
    } finally {
      inFlight.delete(key)
      if (again.delete(key)) enqueue(key)
      pump()
    }
  }

  function enqueue (key: WorkloadKey): void {
    if (inFlight.has(key)) { again.add(key); return }
    const rank = rankOf(key)
    for (let r = 0; r < ranks; r++) {
      if (r !== rank && queue[r]?.delete(key) === true) queued--
    }
    const q = queue[rank] as Set<WorkloadKey>
    if (!q.has(key)) { q.add(key); queued++ }
    if (!batching) pump()
  }

  return {
    enqueue,
    inFlight: (key) => inFlight.has(key),
    batch (fn) {
      batching = true
      try { fn() } finally { batching = false }
      pump()
    },
    pump
  }
}
