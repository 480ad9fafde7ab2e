/**
 * Inspection results (DNS, certificates, image pulls, deploy-chain probes) in the site
 * document: a bounded history per (kind, target), kept as a ring of `INSPECTION_HISTORY`
 * slots in the target's entry, so the document holds at most that many results per
 * target however long the site runs. Document history still grows with every write:
 * record at the inspection cadence, or only when the verdict changes.
 */
import type { Doc } from '@automerge/automerge'
import type { InspectionKind, InspectionResult } from '../../model/federation.ts'
import { BUCKETS } from './bucket.ts'
import { bucketForWrite, compareStrings, deleteEntry, rawEntries, readEntry } from './bucketed-map.ts'
import { decodeFields, encodeRecord, json, parseJsonScalar, toScalar, writeFields, type Scalar } from './fields.ts'
import { checkInspectionSlot, inspectionHeadCodec, type InspectionSlot } from './records.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { writerSite, type SiteDoc } from './site-doc.ts'
import { isPlainObject, malformed } from './validate.ts'

/** Results kept per (kind, target). */
export const INSPECTION_HISTORY = 20

const slotCodec = json(checkInspectionSlot)

export function inspectionKey (kind: InspectionKind, target: string): string {
  return `${kind}|${target}`
}

export interface RecordInspectionOptions {
  /** Skip the write when the latest result has the same verdict and message (default false). */
  onlyOnChange?: boolean
}

/** Appends a result to its target's history; returns whether it wrote anything. */
export function recordInspection (d: SiteDoc, r: InspectionResult, opts: RecordInspectionOptions = {}): boolean {
  writerSite(d)
  const key = inspectionKey(r.kind, r.target)
  const bucket = bucketForWrite(d.inspections, key, BUCKETS.inspections)
  const existing = bucket[key]
  const next = isPlainObject(existing) && typeof existing['next'] === 'number' ? existing['next'] : 0
  if (opts.onlyOnChange === true && next > 0 && isPlainObject(existing)) {
    const last = readSlot(existing, next - 1)
    if (last !== undefined && last.verdict === r.verdict && last.message === r.message) return false
  }
  const slot: InspectionSlot = { seq: next, verdict: r.verdict, latencyMs: r.latencyMs, at: r.at, message: r.message }
  // A ring of slots written one at a time: this entry stays a map of scalars.
  const head = encodeRecord(inspectionHeadCodec, { kind: r.kind, target: r.target, next: next + 1 })
  const fields: Record<string, Scalar> = {}
  for (const [k, v] of Object.entries(head)) fields[k] = toScalar(v)
  fields[`h${next % INSPECTION_HISTORY}`] = toScalar(slotCodec.encode(slot))
  writeFields(bucket, key, fields)
  return true
}

export function deleteInspectionTarget (d: SiteDoc, kind: InspectionKind, target: string): boolean {
  writerSite(d)
  return deleteEntry(d.inspections, inspectionKey(kind, target), BUCKETS.inspections)
}

function readSlot (entry: Record<string, unknown>, seq: number): InspectionSlot | undefined {
  const raw = entry[`h${seq % INSPECTION_HISTORY}`]
  if (raw === undefined) return undefined
  const slot = checkInspectionSlot(parseJsonScalar(raw, `h${seq % INSPECTION_HISTORY}`), `h${seq % INSPECTION_HISTORY}`)
  return slot.seq === seq ? slot : undefined
}

export interface InspectionHistory { kind: InspectionKind, target: string, history: InspectionResult[] }

/** Decodes one stored target entry: its history, oldest first. */
export function decodeInspection (key: string, entry: unknown, path: string): InspectionHistory {
  const head = decodeFields(inspectionHeadCodec, entry, path)
  if (inspectionKey(head.kind, head.target) !== key) throw malformed(path, `keyed by "${inspectionKey(head.kind, head.target)}"`, key)
  const stored = entry as Record<string, unknown>
  const history: InspectionResult[] = []
  for (let seq = Math.max(0, head.next - INSPECTION_HISTORY); seq < head.next; seq++) {
    const slot = readSlot(stored, seq)
    if (slot === undefined) continue
    const result: InspectionResult = { kind: head.kind, target: head.target, verdict: slot.verdict, latencyMs: slot.latencyMs, at: slot.at }
    if (slot.message !== undefined) result.message = slot.message
    history.push(result)
  }
  return { kind: head.kind, target: head.target, history }
}

/** The history of one target, oldest first (empty if never inspected). */
export function getInspectionHistory (doc: Doc<SiteDoc>, kind: InspectionKind, target: string): InspectionResult[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  const key = inspectionKey(kind, target)
  const raw = readEntry(doc.inspections, key, BUCKETS.inspections)
  return raw === undefined ? [] : decodeInspection(key, raw, `inspections.${key}`).history
}

/** Every target's history, sorted by kind then target. */
export function listInspections (doc: Doc<SiteDoc>): InspectionHistory[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  const out: InspectionHistory[] = []
  for (const [, key, raw] of rawEntries(doc.inspections, BUCKETS.inspections)) out.push(decodeInspection(key, raw, `inspections.${key}`))
  return out.sort((a, b) => compareStrings(a.kind, b.kind) || compareStrings(a.target, b.target))
}
