/**
 * Turns a refused peer action into an evidence record for this site's document. One
 * record per (kind, offender): a flood of the same fault raises a count instead of
 * growing the document. Proof bytes (the refused signed envelope, two conflicting
 * changes) are kept so anyone can check the accusation without trusting this site.
 */
import { createHash } from 'node:crypto'
import type { EvidenceRecord, SiteId } from '../model/federation.ts'
import type { Misbehaviour } from '../replication/peer-guard.ts'

const MAX_PROOF_BYTES = 4096

export function evidenceFromMisbehaviour (m: Misbehaviour, observedBy: SiteId, offender: string, nowWall: number): EvidenceRecord {
  const id = createHash('sha256').update(`${m.kind}\n${offender}`).digest('hex').slice(0, 24)
  const rec: EvidenceRecord = { id, kind: m.kind, offender, observedBy, at: nowWall, detail: m.detail.slice(0, 500), count: 1 }
  const proof = (m.proof ?? []).filter((p) => p.length <= MAX_PROOF_BYTES).map((p) => Buffer.from(p).toString('base64'))
  if (proof.length > 0) rec.proof = proof
  return rec
}
