/**
 * Bindings and share status in the site document. A binding is the placement this site
 * decided for a workload (one per workload); a share status is what this site observes
 * of a workload on one of its own clusters. The status controller rewrites shares every
 * tick; only changed fields produce ops, so a quiet tick writes nothing.
 */
import type { Doc } from '@automerge/automerge'
import type { Binding, ClusterId, ShareStatus } from '../../model/federation.ts'
import type { WorkloadKey } from '../../model/kube.ts'
import { BUCKETS } from './bucket.ts'
import { bucketForWrite, compareStrings, deleteEntry, readEntry, sortedEntries } from './bucketed-map.ts'
import { encodeRecord, writeEntry } from './fields.ts'
import { bindingCodec, decodeBinding, decodeShare, shareCodec, shareKey } from './records.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { originMismatch, writerSite, type SiteDoc } from './site-doc.ts'

export function putBinding (d: SiteDoc, b: Binding): boolean {
  const site = writerSite(d)
  if (b.decidedBy !== site) throw originMismatch(`the binding of "${b.workload}"`, b.decidedBy, site)
  const { workload, ...entry } = b
  return writeEntry(bucketForWrite(d.bindings, workload, BUCKETS.bindings), workload, encodeRecord(bindingCodec, entry))
}

export function deleteBinding (d: SiteDoc, workload: WorkloadKey): boolean {
  writerSite(d)
  return deleteEntry(d.bindings, workload, BUCKETS.bindings)
}

export function getBinding (doc: Doc<SiteDoc>, workload: WorkloadKey): Binding | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  const raw = readEntry(doc.bindings, workload, BUCKETS.bindings)
  return raw === undefined ? undefined : decodeBinding(workload, raw, `bindings.${workload}`)
}

/** The bindings this site decided, sorted by workload. */
export function listBindings (doc: Doc<SiteDoc>): Binding[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  return sortedEntries(doc.bindings, BUCKETS.bindings).map(([k, raw]) => decodeBinding(k, raw, `bindings.${k}`))
}

/**
 * Whether two bindings describe the same decision: same placement, generation, policy,
 * reason, degradation and avoided clusters. A controller rewrites a binding only when its decision
 * changed, not merely because its inputs' heads or the clock moved.
 */
export function sameDecision (a: Binding, b: Binding): boolean {
  return a.workload === b.workload && a.decidedBy === b.decidedBy && a.generation === b.generation &&
    a.policy === b.policy && a.reason === b.reason && a.degraded === b.degraded &&
    (a.avoided ?? []).join(',') === (b.avoided ?? []).join(',') &&
    a.placement.length === b.placement.length &&
    a.placement.every((p, i) => p.cluster === b.placement[i]!.cluster && p.replicas === b.placement[i]!.replicas)
}

/** Writes the status of a workload on one of this site's clusters. */
export function putShare (d: SiteDoc, s: ShareStatus): boolean {
  const site = writerSite(d)
  if (!s.cluster.startsWith(`${site}.`)) throw originMismatch(`the share status of "${s.workload}"`, s.cluster, site)
  const key = shareKey(s.workload, s.cluster)
  const { workload: _workload, ...entry } = s
  return writeEntry(bucketForWrite(d.shares, key, BUCKETS.shares), key, encodeRecord(shareCodec, entry))
}

export function deleteShare (d: SiteDoc, workload: WorkloadKey, cluster: ClusterId): boolean {
  writerSite(d)
  return deleteEntry(d.shares, shareKey(workload, cluster), BUCKETS.shares)
}

export function getShare (doc: Doc<SiteDoc>, workload: WorkloadKey, cluster: ClusterId): ShareStatus | undefined {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return undefined
  const key = shareKey(workload, cluster)
  const raw = readEntry(doc.shares, key, BUCKETS.shares)
  return raw === undefined ? undefined : decodeShare(key, raw, `shares.${key}`)
}

/** The share statuses this site reports, sorted by workload then cluster. */
export function listShares (doc: Doc<SiteDoc>): ShareStatus[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  return sortedEntries(doc.shares, BUCKETS.shares).map(([k, raw]) => decodeShare(k, raw, `shares.${k}`))
    .sort((a, b) => compareStrings(a.workload, b.workload) || compareStrings(a.cluster, b.cluster))
}
