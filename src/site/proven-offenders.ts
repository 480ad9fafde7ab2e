/**
 * The sites this site itself caught in a provably dishonest act. Their reports are not
 * trusted where trusting them could cost availability (a replacement they call Ready
 * does not release this site's replicas). Only this site's own observations count, so a
 * false accusation by a third site changes nothing; they survive a restart because they
 * are read back from the evidence this site wrote.
 */
import type { EvidenceKind, EvidenceRecord, SiteId } from '../model/federation.ts'

/**
 * Evidence kinds only a dishonest (or broken) site produces, whatever its configuration:
 * an honest site verifies every change before it keeps or relays it, and never signs two
 * changes at one position. Left out: `unauthorized-writer` (an honest relay can cause it
 * while rosters are being rolled out), floods, replays and malformed frames (a stalled
 * process or a version mismatch can cause those).
 */
export const PROVEN_DISHONEST: ReadonlySet<EvidenceKind> = new Set(['bad-signature', 'actor-mismatch', 'equivocation'])

export interface ProvenOffenders {
  /** Records a fault this site observed; only the kinds in PROVEN_DISHONEST count. */
  note (kind: EvidenceKind, offender: SiteId): void
  sites (): ReadonlySet<SiteId>
}

/** `recorded`: the evidence in this site's own document, as it was at start. */
export function createProvenOffenders (self: SiteId, recorded: readonly EvidenceRecord[]): ProvenOffenders {
  const offenders = new Set<SiteId>()
  const note = (kind: EvidenceKind, offender: SiteId): void => { if (PROVEN_DISHONEST.has(kind)) offenders.add(offender) }
  for (const ev of recorded) if (ev.observedBy === self) note(ev.kind, ev.offender)
  return { note, sites: () => offenders }
}
