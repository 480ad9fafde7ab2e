/**
 * Workloads of the site document, and the redacted stubs that stand for its local-only
 * workloads. A workload's manifest is one JSON scalar, so an update is one op. The
 * replicated document must never carry local-only content: the workload writer refuses
 * a local-only record (`residency-violation`), and the stub writer accepts exactly the
 * stub's fields, with an opaque id, so nothing else can ride along.
 */
import type { Doc } from '@automerge/automerge'
import { FlotillaError } from '../../model/errors.ts'
import type { RedactedStub, WorkloadRecord } from '../../model/federation.ts'
import { isWorkloadKind, workloadKey, type WorkloadKey } from '../../model/kube.ts'
import { BUCKETS } from './bucket.ts'
import { bucketForWrite, deleteEntry, readEntry, sortedEntries } from './bucketed-map.ts'
import { encodeRecord, writeEntry } from './fields.ts'
import { decodeStub, decodeWorkload, stubCodec, workloadCodec } from './records.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { originMismatch, writerSite, type SiteDoc } from './site-doc.ts'
import { checkResources } from './validate.ts'

export function residencyViolation (message: string, details: Record<string, unknown>): FlotillaError {
  return new FlotillaError('residency-violation', message,
    'Local-only workloads live in the local store (src/store/local); the site document may hold only their redacted stub.',
    { details })
}

/** Writes a workload record; refuses local-only records and other sites' workloads. */
export function putWorkload (d: SiteDoc, rec: WorkloadRecord): boolean {
  const site = writerSite(d)
  if (rec.residency.kind === 'local-only') {
    throw residencyViolation(`workload "${rec.key}" is local-only and cannot enter a replicated document`, { workload: rec.key })
  }
  if (rec.origin !== site) throw originMismatch(`workload "${rec.key}"`, rec.origin, site)
  const expected = workloadKey(rec.manifest)
  if (rec.key !== expected) {
    throw new FlotillaError('input-invalid', `workload key "${rec.key}" does not match its manifest ("${expected}")`,
      'Build the key with workloadKey(manifest).', { details: { key: rec.key, expected } })
  }
  const { key: _key, ...entry } = rec
  return writeEntry(bucketForWrite(d.workloads, rec.key, BUCKETS.workloads), rec.key, encodeRecord(workloadCodec, entry))
}

export function deleteWorkload (d: SiteDoc, key: WorkloadKey): boolean {
  writerSite(d)
  return deleteEntry(d.workloads, key, BUCKETS.workloads)
}

export function getWorkload (doc: Doc<SiteDoc>, key: WorkloadKey): WorkloadRecord | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  const raw = readEntry(doc.workloads, key, BUCKETS.workloads)
  return raw === undefined ? undefined : decodeWorkload(key, raw, `workloads.${key}`)
}

/** The site's workloads, sorted by key. */
export function listWorkloads (doc: Doc<SiteDoc>): WorkloadRecord[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  return sortedEntries(doc.workloads, BUCKETS.workloads).map(([k, raw]) => decodeWorkload(k, raw, `workloads.${k}`))
}

const STUB_FIELDS = new Set(['id', 'kind', 'origin', 'replicas', 'perReplica', 'cluster'])
/** Stub ids are opaque: hex of a keyed hash, never a name. */
const STUB_ID = /^[0-9a-f]{32,64}$/

/**
 * Writes a redacted stub. Refuses anything that is not exactly a stub: extra fields,
 * an id that is not an opaque hex digest, a kind that is not a workload kind.
 */
export function putStub (d: SiteDoc, stub: RedactedStub): boolean {
  const site = writerSite(d)
  const extra = Object.keys(stub).filter((k) => !STUB_FIELDS.has(k))
  if (extra.length > 0) {
    throw residencyViolation(`a redacted stub may carry only ${[...STUB_FIELDS].join(', ')}: received ${extra.join(', ')}`, { fields: extra })
  }
  if (typeof stub.id !== 'string' || !STUB_ID.test(stub.id)) {
    throw residencyViolation('a redacted stub id must be an opaque hex digest (32 to 64 hex characters)', { length: String(stub.id).length })
  }
  if (!isWorkloadKind(stub.kind)) {
    throw new FlotillaError('input-invalid', `stub kind must be a workload kind: received ${JSON.stringify(stub.kind)}`,
      'Use the kind of the local-only workload, e.g. "Deployment".', { details: { kind: stub.kind } })
  }
  if (stub.origin !== site) throw originMismatch('a redacted stub', stub.origin, site)
  if (stub.cluster !== undefined && !stub.cluster.startsWith(`${site}.`)) throw originMismatch('a redacted stub\'s cluster', stub.cluster, site)
  checkResources(stub.perReplica, 'perReplica')
  const { id, ...entry } = stub
  return writeEntry(bucketForWrite(d.stubs, id, BUCKETS.stubs), id, encodeRecord(stubCodec, entry))
}

export function deleteStub (d: SiteDoc, id: string): boolean {
  writerSite(d)
  return deleteEntry(d.stubs, id, BUCKETS.stubs)
}

export function getStub (doc: Doc<SiteDoc>, id: string): RedactedStub | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  const raw = readEntry(doc.stubs, id, BUCKETS.stubs)
  return raw === undefined ? undefined : decodeStub(id, raw, `stubs.${id}`)
}

/** The site's stubs, sorted by id. */
export function listStubs (doc: Doc<SiteDoc>): RedactedStub[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  return sortedEntries(doc.stubs, BUCKETS.stubs).map(([k, raw]) => decodeStub(k, raw, `stubs.${k}`))
}
