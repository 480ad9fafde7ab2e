/**
 * The view's orders and per-workload record, shared by the full assembly (assemble.ts)
 * and the incremental one (incremental-assembly.ts) so both give the same view. Every
 * order is total (it ends on a unique id), so no result depends on input order.
 */
import type {
  Binding, ClusterRecord, EvidenceRecord, FederationEvent, PolicyRecord, RedactedStub, ShareStatus, WorkloadRecord
} from '../model/federation.ts'
import { desiredReplicas } from '../model/kube.ts'
import type { InspectionView, ViewAnomaly, ViewConflict, WorkloadView } from '../model/view.ts'
import { compareStrings } from '../store/docs/bucketed-map.ts'

export const byOrigin = (a: WorkloadRecord | PolicyRecord, b: WorkloadRecord | PolicyRecord): number => compareStrings(a.origin, b.origin)
export const byDecider = (a: Binding, b: Binding): number => compareStrings(a.decidedBy, b.decidedBy)
export const byCluster = (a: ShareStatus, b: ShareStatus): number => compareStrings(a.cluster, b.cluster)
export const byClusterId = (a: ClusterRecord, b: ClusterRecord): number => compareStrings(a.id, b.id)
export const byStub = (a: RedactedStub, b: RedactedStub): number => compareStrings(a.origin, b.origin) || compareStrings(a.id, b.id)
export const byInspection = (a: InspectionView, b: InspectionView): number =>
  compareStrings(a.site, b.site) || compareStrings(a.kind, b.kind) || compareStrings(a.target, b.target)
export const byEvidence = (a: EvidenceRecord, b: EvidenceRecord): number => compareStrings(a.observedBy, b.observedBy) || compareStrings(a.id, b.id)
export const byEvent = (a: FederationEvent, b: FederationEvent): number =>
  a.at - b.at || compareStrings(a.site, b.site) || (a.seq ?? 0) - (b.seq ?? 0)
export const byConflict = (a: ViewConflict, b: ViewConflict): number => compareStrings(a.collection, b.collection) || compareStrings(a.key, b.key)
export const byAnomaly = (a: ViewAnomaly, b: ViewAnomaly): number =>
  compareStrings(a.document, b.document) || compareStrings(a.collection, b.collection) ||
  compareStrings(a.key, b.key) || compareStrings(a.code, b.code) || compareStrings(a.detail, b.detail)

/** The view of one workload: the winning record with every site's bindings and shares (both sorted). */
export function workloadView (rec: WorkloadRecord, bindings: Binding[], shares: ShareStatus[]): WorkloadView {
  let desired = 0
  let ready = 0
  let available = 0
  for (const s of shares) { desired += s.desired; ready += s.ready; available += s.available }
  return {
    key: rec.key, origin: rec.origin, residency: rec.residency, stateless: rec.stateless, manifest: rec.manifest,
    generation: rec.generation, updatedAt: rec.updatedAt, replicas: desiredReplicas(rec.manifest),
    bindings, shares, desired, ready, available
  }
}

/** The conflict of a contested key (claims sorted by origin), or undefined if only one site claims it. */
export function conflictOf (collection: ViewConflict['collection'], key: string, claims: ReadonlyArray<WorkloadRecord | PolicyRecord>): ViewConflict | undefined {
  if (claims.length < 2) return undefined
  return { collection, key, winner: claims[0]!.origin, others: claims.slice(1).map((c) => c.origin) }
}
