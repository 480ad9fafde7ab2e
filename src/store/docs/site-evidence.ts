/**
 * Evidence of peers' misbehaviour that this site observed, in its site document. A
 * flood of the same fault must not grow the document: evidence is deduplicated by id
 * (the same fault seen again raises its count and last-seen time) and bounded to
 * `EVIDENCE_LIMIT` records, the least recently seen evicted first.
 */
import type { Doc } from '@automerge/automerge'
import type { EvidenceRecord } from '../../model/federation.ts'
import { BUCKETS } from './bucket.ts'
import { bucketForWrite, compareStrings, deleteEntry, rawEntries, readEntry, sortedEntries } from './bucketed-map.ts'
import { decodeRecord, encodeRecord, writeEntry } from './fields.ts'
import { decodeEvidence, evidenceCodec } from './records.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { originMismatch, writerSite, type SiteDoc } from './site-doc.ts'

/** Evidence records kept per site document. */
export const EVIDENCE_LIMIT = 256

/**
 * Records evidence, or adds `ev.count` to the record with the same id (keeping its
 * first detail and proof, moving `at` to the latest sighting). Returns whether it wrote.
 */
export function recordEvidence (d: SiteDoc, ev: EvidenceRecord): boolean {
  const site = writerSite(d)
  if (ev.observedBy !== site) throw originMismatch(`evidence "${ev.id}"`, ev.observedBy, site)
  const existing = readEntry(d.evidence, ev.id, BUCKETS.evidence)
  if (existing !== undefined) {
    const prev = decodeRecord(evidenceCodec, existing, `evidence.${ev.id}`)
    const merged = { ...prev, count: prev.count + ev.count, at: Math.max(prev.at, ev.at) }
    return writeEntry(bucketForWrite(d.evidence, ev.id, BUCKETS.evidence), ev.id, encodeRecord(evidenceCodec, merged))
  }
  evictOldest(d, EVIDENCE_LIMIT - 1)
  const { id, ...entry } = ev
  return writeEntry(bucketForWrite(d.evidence, id, BUCKETS.evidence), id, encodeRecord(evidenceCodec, entry))
}

/** Deletes the least recently seen records until at most `keep` remain. */
function evictOldest (d: SiteDoc, keep: number): void {
  const all: Array<{ id: string, at: number }> = []
  for (const [, id, raw] of rawEntries(d.evidence, BUCKETS.evidence)) {
    const at = (raw as Record<string, unknown>)['at']
    all.push({ id, at: typeof at === 'number' ? at : -Infinity })
  }
  if (all.length <= keep) return
  all.sort((a, b) => a.at - b.at || compareStrings(a.id, b.id))
  for (const { id } of all.slice(0, all.length - keep)) deleteEntry(d.evidence, id, BUCKETS.evidence)
}

/** The evidence this site holds, sorted by id. */
export function listEvidence (doc: Doc<SiteDoc>): EvidenceRecord[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  return sortedEntries(doc.evidence, BUCKETS.evidence).map(([id, raw]) => decodeEvidence(id, raw, `evidence.${id}`))
}
