/**
 * Reading one site document's entries for the view, with the rules that keep a
 * Byzantine site from reaching beyond itself: a site document speaks only for its own
 * site. Each entry decodes to its record or to an anomaly (malformed, misplaced, or a
 * claim on another site's cluster or origin); anomalies are kept, not thrown, so one
 * bad record never hides the rest of the document or another site's.
 */
import { FlotillaError } from '../model/errors.ts'
import type {
  Binding, ClusterRecord, EvidenceRecord, FederationEvent, PolicyRecord, RedactedStub, ShareStatus, SiteId, WorkloadRecord
} from '../model/federation.ts'
import { workloadKey } from '../model/kube.ts'
import type { ViewAnomaly, ViewAnomalyCode } from '../model/view.ts'
import { BUCKETS, bucketPath, type BucketedCollection } from '../store/docs/bucket.ts'
import { decodeRecord } from '../store/docs/fields.ts'
import {
  clusterCodec, decodeBinding, decodeEvidence, decodePolicy, decodeShare, decodeStub, decodeWorkload
} from '../store/docs/records.ts'
import { decodeInspection, type InspectionHistory } from '../store/docs/site-inspections.ts'
import { decodeEventSlot, EVENT_RING, eventSlotBucket } from '../store/docs/site-events.ts'

export type Item<T> = { ok: true, value: T } | { ok: false, anomaly: ViewAnomaly }

export interface Claim { code: ViewAnomalyCode, detail: string }

/** Thrown by a reader when a record decodes but claims what its site may not. */
class ClaimError extends Error implements Claim {
  readonly code: ViewAnomalyCode
  readonly detail: string
  constructor (code: ViewAnomalyCode, detail: string) {
    super(detail)
    this.code = code
    this.detail = detail
  }
}

export interface CollectionReader<T> {
  name: BucketedCollection
  /** Decodes a stored entry and checks it speaks only for `site`; throws a claim or a malformed error. */
  read (site: SiteId, key: string, raw: unknown): T
}

function claim (code: ViewAnomalyCode, detail: string): ClaimError {
  return new ClaimError(code, detail)
}

function ownCluster (site: SiteId, cluster: string): boolean {
  return cluster.startsWith(`${site}.`) && cluster.length > site.length + 1
}

export const workloadsReader: CollectionReader<WorkloadRecord> = {
  name: 'workloads',
  read (site, key, raw) {
    const rec = decodeWorkload(key, raw, `workloads.${key}`)
    if (rec.residency.kind === 'local-only') throw claim('local-only-replicated', `workload "${key}" is marked local-only`)
    if (rec.origin !== site) throw claim('foreign-origin', `workload origin "${rec.origin}" is not the document's site`)
    if (workloadKey(rec.manifest) !== key) throw claim('misplaced', `manifest names "${workloadKey(rec.manifest)}"`)
    return rec
  }
}

export const stubsReader: CollectionReader<RedactedStub> = {
  name: 'stubs',
  read (site, key, raw) {
    const stub = decodeStub(key, raw, `stubs.${key}`)
    if (stub.origin !== site) throw claim('foreign-origin', `stub origin "${stub.origin}" is not the document's site`)
    if (stub.cluster !== undefined && !ownCluster(site, stub.cluster)) throw claim('foreign-cluster', `stub placed on "${stub.cluster}"`)
    return stub
  }
}

export const policiesReader: CollectionReader<PolicyRecord> = {
  name: 'policies',
  read (site, key, raw) {
    const rec = decodePolicy(key, raw, `policies.${key}`)
    if (rec.origin !== site) throw claim('foreign-origin', `policy origin "${rec.origin}" is not the document's site`)
    if (workloadKey(rec.object) !== key || rec.object.kind !== rec.kind) throw claim('misplaced', `object names "${workloadKey(rec.object)}"`)
    return rec
  }
}

export const bindingsReader: CollectionReader<Binding> = {
  name: 'bindings',
  read (site, key, raw) {
    const b = decodeBinding(key, raw, `bindings.${key}`)
    if (b.decidedBy !== site) throw claim('foreign-origin', `binding decided by "${b.decidedBy}"`)
    return b
  }
}

export const sharesReader: CollectionReader<ShareStatus> = {
  name: 'shares',
  read (site, key, raw) {
    const s = decodeShare(key, raw, `shares.${key}`)
    if (!ownCluster(site, s.cluster)) throw claim('foreign-cluster', `share status for "${s.cluster}"`)
    return s
  }
}

export const inspectionsReader: CollectionReader<InspectionHistory> = {
  name: 'inspections',
  read (_site, key, raw) {
    return decodeInspection(key, raw, `inspections.${key}`)
  }
}

export const evidenceReader: CollectionReader<EvidenceRecord> = {
  name: 'evidence',
  read (site, key, raw) {
    const ev = decodeEvidence(key, raw, `evidence.${key}`)
    if (ev.observedBy !== site) throw claim('foreign-origin', `evidence observed by "${ev.observedBy}"`)
    return ev
  }
}

export const BUCKETED_READERS = {
  workloads: workloadsReader,
  stubs: stubsReader,
  policies: policiesReader,
  bindings: bindingsReader,
  shares: sharesReader,
  inspections: inspectionsReader,
  evidence: evidenceReader
} as const

export type ReadCollection = keyof typeof BUCKETED_READERS
export const READ_COLLECTIONS = Object.keys(BUCKETED_READERS) as ReadCollection[]

/** Reads one entry found in the bucket at `path`, checking it belongs there. */
export function readBucketed<T> (docId: string, site: SiteId, reader: CollectionReader<T>, path: readonly string[], key: string, raw: unknown): Item<T> {
  const expected = bucketPath(key, BUCKETS[reader.name])
  if (expected.length !== path.length || expected.some((b, i) => b !== path[i])) {
    return anomalyItem(docId, reader.name, key, { code: 'misplaced', detail: `stored in bucket ${path.join('/')}, belongs in ${expected.join('/')}` })
  }
  try {
    return { ok: true, value: reader.read(site, key, raw) }
  } catch (e) {
    return anomalyItem(docId, reader.name, key, asClaim(e))
  }
}

export function readCluster (docId: string, site: SiteId, name: string, raw: unknown): Item<ClusterRecord> {
  try {
    const c = decodeRecord(clusterCodec, raw, `clusters.${name}`)
    if (c.site !== site || c.id !== `${site}.${name}`) throw claim('foreign-cluster', `cluster "${c.id}" of site "${c.site}"`)
    if (c.name !== name) throw claim('misplaced', `record names cluster "${c.name}"`)
    return { ok: true, value: c }
  } catch (e) {
    return anomalyItem(docId, 'clusters', name, asClaim(e))
  }
}

/** Reads the event in ring slot `slot` (found in bucket `bucket`). */
export function readEvent (docId: string, site: SiteId, bucket: string, slotKey: string, raw: unknown): Item<FederationEvent> {
  const slot = Number(slotKey)
  if (!Number.isSafeInteger(slot) || slot < 0 || slot >= EVENT_RING || String(slot) !== slotKey || eventSlotBucket(slot) !== bucket) {
    return anomalyItem(docId, 'events', slotKey, { code: 'misplaced', detail: `slot "${slotKey}" in bucket ${bucket}` })
  }
  try {
    return { ok: true, value: decodeEventSlot(site, slot, raw, `events.${slot}`) }
  } catch (e) {
    return anomalyItem(docId, 'events', slotKey, asClaim(e))
  }
}

export function anomalyItem<T> (document: string, collection: string, key: string, c: Claim): Item<T> {
  return { ok: false, anomaly: { document, collection, key, code: c.code, detail: c.detail } }
}

export function asClaim (e: unknown): Claim {
  if (e instanceof ClaimError) return { code: e.code, detail: e.detail }
  if (e instanceof FlotillaError) return { code: e.code === 'unsupported-version' ? 'unsupported-version' : 'malformed', detail: e.message }
  return { code: 'malformed', detail: e instanceof Error ? e.message : String(e) }
}
