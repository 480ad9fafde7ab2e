/**
 * When the document store snapshots a document: once `snapshotEvery` changes were
 * applied since its last snapshot, and at least a quarter of what that snapshot held, so
 * saving stays a constant share of the changes applied however large the document.
 *
 * Local changes come one at a time and are saved as soon as they are due. Received
 * changes come in bursts (a bootstrap, a peer back from a partition) of many batches, and
 * a snapshot taken inside one is superseded a few batches later: a document they make due
 * waits until ingest has paused for `quietMs` (or the store closes), so a burst pays for
 * one save at its end. Past `MAX_DEFERRED_FACTOR` times its threshold it is saved at
 * once, so a store that is never quiet still bounds what a restart replays.
 *
 * This module only counts and decides; the store takes the snapshots.
 */
import type { Clock, Timer } from '../ports/clock.ts'

/** Past this many times its threshold, a document that received changes is saved at once. */
const MAX_DEFERRED_FACTOR = 4

export interface SnapshotCadenceOptions {
  clock: Clock
  snapshotEvery: number
  quietMs: number
  /** Called once ingest has paused with documents waiting (`waiting()` names them). */
  onPause: () => void
}

export interface SnapshotCadence {
  /** `applied` local changes: whether the document is due now. */
  local (docId: string, applied: number): boolean
  /** `applied` received changes: whether the document is due now (otherwise it may wait for a pause). */
  received (docId: string, applied: number): boolean
  /** Ingest ran now (the pause is counted from the last one). */
  ingested (): void
  /** A snapshot of the document holding `held` changes was taken; `applied` came after it. */
  taken (docId: string, held: number, applied?: number): void
  /** Documents waiting for a pause, sorted. */
  waiting (): string[]
  /** Cancels the wait for a pause. */
  stop (): void
}

export function createSnapshotCadence (o: SnapshotCadenceOptions): SnapshotCadence {
  const since = new Map<string, { applied: number, held: number }>()
  const waiting = new Set<string>()
  let timer: Timer | undefined
  let lastIngestMs = -Infinity

  /** Counts `applied` more changes; returns how far past its threshold the document is. */
  function count (docId: string, applied: number): number {
    const s = since.get(docId) ?? { applied: 0, held: 0 }
    s.applied += applied
    since.set(docId, s)
    return s.applied / Math.max(o.snapshotEvery, s.held / 4)
  }

  function whenPaused (): void {
    const idle = o.clock.monotonicMs() - lastIngestMs
    if (waiting.size > 0 && idle < o.quietMs) {
      timer = o.clock.setTimer(o.quietMs - idle, whenPaused)
      return
    }
    timer = undefined
    // Nothing left when every waiting document was saved meanwhile (past the cap, or by
    // a local change).
    if (waiting.size > 0) o.onPause()
  }

  return {
    local: (docId, applied) => count(docId, applied) >= 1,
    received (docId, applied) {
      const due = count(docId, applied)
      if (due >= MAX_DEFERRED_FACTOR) return true
      if (due >= 1) {
        waiting.add(docId)
        timer ??= o.clock.setTimer(o.quietMs, whenPaused)
      }
      return false
    },
    ingested () { lastIngestMs = o.clock.monotonicMs() },
    taken (docId, held, applied = 0) {
      waiting.delete(docId)
      since.set(docId, { applied, held })
    },
    waiting: () => [...waiting].sort(),
    stop () {
      timer?.cancel()
      timer = undefined
    }
  }
}
