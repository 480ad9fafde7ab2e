/**
 * The misbehaviour a site has seen and not yet written as evidence. The first fault of a
 * kind by a peer is written with the next tick; repeats of it within `holdMs` of its
 * record being written only raise that record's count, so they are gathered and written
 * together once the hold has passed — not one change, applied by every peer, per tick
 * while a peer keeps misbehaving (a Byzantine flood made a third of a federation's
 * changes). Held repeats leave together: when one is due, all go, and a tick that writes
 * a change anyway takes them all along, so a site under a flood of several kinds writes
 * at most one evidence-only change per hold, usually none. Times are the site's monotonic
 * clock.
 */
import type { Misbehaviour } from '../replication/peer-guard.ts'

export interface PendingEvidence {
  /** The latest occurrence (its detail and proof go into the record). */
  m: Misbehaviour
  /** Occurrences it stands for. */
  count: number
}

export interface EvidenceBatch {
  /** Notes a fault; true when it is new on record (ask for a tick), false when held as a repeat. */
  add (m: Misbehaviour, now: number): boolean
  /** Whether something is due for the next tick (new faults; held repeats are due by `dueAt`). */
  hasNew (): boolean
  /**
   * What to write at `now`, taken out: new faults, and every held repeat if one of them is
   * due or `writing` (the tick writes a change anyway, so they cost no change of their own).
   */
  take (now: number, writing?: boolean): PendingEvidence[]
  /** The records of `written` were written at `now`: later repeats are held from then. */
  written (written: readonly PendingEvidence[], now: number): void
  /** When the earliest held repeat is due, if any. */
  dueAt (): number | undefined
}

/** New faults kept at most (beyond, a flood adds nothing the record does not say). */
const MAX_NEW = 1000

export function createEvidenceBatch (holdMs: number): EvidenceBatch {
  let fresh: PendingEvidence[] = []
  const held = new Map<string, PendingEvidence>()
  const writtenAt = new Map<string, number>()
  const keyOf = (m: Misbehaviour): string => `${m.kind}\n${m.peer}`

  function dueAt (): number | undefined {
    let due: number | undefined
    for (const key of held.keys()) {
      const at = (writtenAt.get(key) ?? -Infinity) + holdMs
      if (due === undefined || at < due) due = at
    }
    return due
  }

  return {
    add (m, now) {
      const key = keyOf(m)
      const at = writtenAt.get(key)
      if (at !== undefined && now - at < holdMs) {
        const h = held.get(key)
        if (h === undefined) held.set(key, { m, count: 1 })
        else { h.m = m; h.count++ }
        return false
      }
      if (fresh.length < MAX_NEW) fresh.push({ m, count: 1 })
      return true
    },
    hasNew: () => fresh.length > 0,
    take (now, writing = false) {
      const out = fresh
      fresh = []
      const due = dueAt()
      if (writing || (due !== undefined && due <= now)) {
        out.push(...held.values())
        held.clear()
      }
      return out
    },
    written (list, now) {
      for (const { m } of list) writtenAt.set(keyOf(m), now)
    },
    dueAt
  }
}
