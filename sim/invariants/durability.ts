/**
 * Durability: nothing a site acknowledged is lost across a crash. Two acknowledgements
 * count: the document store announcing a change (it announces only after the change is
 * on disk, and only then may it be sent — a crash that forgot a sent change would make
 * the site equivocate with itself), and `putObject`/`deleteObject` resolving (the API
 * answers the user then). After every restart the reopened store must hold every change
 * any earlier incarnation announced, and the site must read back every acknowledged write
 * at its acknowledged generation or later (or, for a delete, not at all).
 */
import type { Violation } from './types.ts'

export interface RetainedInput {
  site: string
  /** Changes earlier incarnations announced: `docId` → hashes. */
  announced: ReadonlyMap<string, ReadonlySet<string>>
  /** Whether the reopened store holds the change. */
  holds: (docId: string, hash: string) => boolean
  timeMs: number
}

export function lostChanges (r: RetainedInput): Violation[] {
  const out: Violation[] = []
  for (const [docId, hashes] of [...r.announced].sort(([a], [b]) => a < b ? -1 : 1)) {
    for (const h of hashes) {
      if (r.holds(docId, h)) continue
      out.push({
        invariant: 'durability', rule: 'changes', timeMs: r.timeMs, site: r.site, subject: `${docId}/${h.slice(0, 12)}`,
        message: `${r.site} announced change ${h.slice(0, 12)}… of ${docId} before crashing, but its reopened store does not hold it`
      })
    }
  }
  return out
}

export interface AckInput {
  site: string
  key: string
  /** Acknowledged generation; -1 for a delete. */
  generation: number
  /** The generation the restarted site reads back; undefined when it holds no record. */
  readBack: number | undefined
  timeMs: number
}

export function lostAcknowledgement (a: AckInput): Violation | undefined {
  if (a.generation < 0) {
    if (a.readBack === undefined) return undefined
    return { invariant: 'durability', rule: 'writes', timeMs: a.timeMs, site: a.site, subject: a.key, message: `${a.site} acknowledged deleting ${a.key} before crashing, but reads it back (generation ${a.readBack}) after restarting` }
  }
  if (a.readBack !== undefined && a.readBack >= a.generation) return undefined
  return {
    invariant: 'durability', rule: 'writes', timeMs: a.timeMs, site: a.site, subject: a.key,
    message: `${a.site} acknowledged ${a.key} at generation ${a.generation} before crashing, but after restarting ${a.readBack === undefined ? 'holds no record of it' : `reads generation ${a.readBack}`}`
  }
}
