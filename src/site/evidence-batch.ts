/**
 * The misbehaviour a site has seen and not yet written as evidence. The first fault of a
 * kind by a peer is written with the next tick; repeats of it within `holdMs` of its
 * record being written only raise that record's count, so they are gathered and written
 * together once the hold has passed — not one change, applied by every peer, per tick
 * while a peer keeps misbehaving (a Byzantine flood made a third of a federation's
 * changes). Times are the site's monotonic clock.
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
  /** Everything due at `now`, taken out: new faults and repeats whose hold has passed. */
  take (now: number): PendingEvidence[]
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
    take (now) {
      const out = fresh
      fresh = []
      for (const [key, h] of held) {
        if ((writtenAt.get(key) ?? -Infinity) + holdMs <= now) { out.push(h); held.delete(key) }
      }
      return out
    },
    written (list, now) {
      for (const { m } of list) writtenAt.set(keyOf(m), now)
    },
    dueAt () {
      let due: number | undefined
      for (const key of held.keys()) {
        const at = (writtenAt.get(key) ?? -Infinity) + holdMs
        if (due === undefined || at < due) due = at
      }
      return due
    }
  }
}
