/**
 * One table row per workload: name, origin, residency, ready replicas and placement per
 * cluster, from the workload's aggregated status (the same function the API and CLI
 * use). Rows are memoised by the identity of the view's workload record: the view cache
 * hands out the same object while a workload's inputs are unchanged, so a new view
 * version recomputes only the workloads that changed, even with 10,000 of them.
 */
import { aggregateStatus, type WorkloadStatus } from '../../controllers/decisions/index.ts'
import type { Residency } from '../../model/federation.ts'
import { desiredReplicas, parseWorkloadKey } from '../../model/kube.ts'
import type { WorkloadView } from '../../model/view.ts'
import type { EffectivePlacement, LocalWorkloadRecord } from '../../site/site-handle.ts'
import type { RowPhase, WorkloadRow } from '../dashboard-types.ts'

export interface IndexedRow {
  row: WorkloadRow
  /** Lower-case text the search matches against: namespace/name, kind, origin. */
  search: string
}

export function residencyText (r: Residency): string {
  return r.kind === 'regions' ? `regions: ${r.regions.join(', ')}` : r.kind
}

function needsAttention (phase: RowPhase, status: Pick<WorkloadStatus, 'placement' | 'ready' | 'desired'> | undefined): boolean {
  if (phase === 'Degraded' || phase === 'Unplaced') return true
  return status !== undefined && status.placement.length > 0 && status.ready < status.desired
}

function searchText (row: WorkloadRow): string {
  return `${row.namespace ?? ''}/${row.name} ${row.kind} ${row.origin}`.toLowerCase()
}

export function rowOfWorkload (w: WorkloadView): IndexedRow {
  const status = aggregateStatus(w, w.bindings, w.shares)
  const k = parseWorkloadKey(w.key)
  const row: WorkloadRow = {
    key: w.key, kind: w.manifest.kind, ...(k.namespace === undefined ? {} : { namespace: k.namespace }), name: k.name,
    origin: w.origin, residency: residencyText(w.residency), stateless: w.stateless,
    desired: status.desired, ready: status.ready, phase: status.phase, summary: status.summary,
    placement: status.clusters.map((c) => ({ cluster: c.cluster, planned: c.planned, ready: c.ready, extra: c.extra })),
    degraded: status.degraded,
    attention: needsAttention(status.phase, status)
  }
  return { row, search: searchText(row) }
}

/** A row for this site's local-only workload: its placement as this site decided it, readiness unknown to the view. */
export function rowOfLocal (rec: LocalWorkloadRecord, origin: string, placement: EffectivePlacement | undefined): IndexedRow {
  const k = parseWorkloadKey(rec.key)
  const planned = placement?.assignments ?? []
  const row: WorkloadRow = {
    key: rec.key, kind: rec.manifest.kind, ...(k.namespace === undefined ? {} : { namespace: k.namespace }), name: k.name,
    origin, residency: 'local-only', stateless: rec.manifest.kind === 'Deployment',
    desired: desiredReplicas(rec.manifest), ready: null, phase: 'LocalOnly',
    summary: planned.length === 0 ? 'local-only; not placed yet' : `local-only; placed on ${planned.length} cluster${planned.length === 1 ? '' : 's'} of this site`,
    placement: planned.map((a) => ({ cluster: a.cluster, planned: a.replicas, ready: 0, extra: false })),
    degraded: placement?.degraded === undefined ? [] : [placement.degraded],
    attention: placement?.degraded !== undefined
  }
  return { row, search: searchText(row) }
}

/** `rowOfWorkload` memoised by record identity (a WeakMap, so old views' records are collected). */
export function createRowCache (): (w: WorkloadView) => IndexedRow {
  const cache = new WeakMap<WorkloadView, IndexedRow>()
  return (w) => {
    let r = cache.get(w)
    if (r === undefined) {
      r = rowOfWorkload(w)
      cache.set(w, r)
    }
    return r
  }
}
