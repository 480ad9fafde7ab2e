/**
 * A workload's status as the API, the CLI and the dashboard show it, from what the view
 * holds: the origin binding (what is planned), each site's acting binding (what it runs
 * on its own clusters, during a migration possibly more or other than planned) and the
 * share status the clusters' owners report. Ready replicas count wherever they run, so a
 * migrated workload shows as ready on its new clusters and an old share still draining
 * shows as extra.
 */
import type { Binding, ClusterAssignment, ClusterId, ShareStatus, SiteId, WorkloadRecord } from '../../model/federation.ts'
import { desiredReplicas, type WorkloadKey } from '../../model/kube.ts'
import { compareStrings } from '../../schedule/order.ts'
import { siteOfCluster, sortAssignments, totalReplicas } from './assignments.ts'
import { originBindingOf } from './effective-placement.ts'

export type WorkloadPhase =
  /** No binding for the current generation and nothing running yet. */
  | 'Pending'
  /** The origin placed it nowhere (no policy selects it, or nothing is feasible). */
  | 'Unplaced'
  /** Placed; replicas starting, updating or moving. */
  | 'Progressing'
  /** As many replicas as planned are ready at the current generation (wherever they run). */
  | 'Ready'
  /** A binding or a share reports a problem. */
  | 'Degraded'

export interface ClusterStatus {
  cluster: ClusterId
  site: SiteId
  /** Replicas the origin binding plans here. */
  planned: number
  /** Replicas the owner says it runs here (its acting binding), when it wrote one. */
  acting?: number
  /** What the owner reports. */
  desired: number
  ready: number
  available: number
  /** The owner reports on the current generation. */
  upToDate: boolean
  /** Running here though the plan has nothing here (a share draining or a failover copy). */
  extra: boolean
  error?: string
}

export interface WorkloadStatus {
  workload: WorkloadKey
  generation: number
  /** Replicas planned over all clusters (the origin binding), or the manifest's count before there is one. */
  desired: number
  ready: number
  available: number
  phase: WorkloadPhase
  /** The origin binding's placement for the current generation (empty when there is none). */
  placement: ClusterAssignment[]
  /** Sorted by cluster id. */
  clusters: ClusterStatus[]
  /** Problems, each prefixed with the site or cluster that reported it; sorted. */
  degraded: string[]
  /** `4/6 ready on 2 clusters`. */
  summary: string
}

/** The status of `workload` from its bindings (every site's) and share statuses. */
export function aggregateStatus (workload: WorkloadRecord, bindings: readonly Binding[], shares: readonly ShareStatus[]): WorkloadStatus {
  const origin = originBindingOf(workload, bindings)
  const current = origin !== undefined && origin.generation === workload.generation ? origin : undefined
  const placement = current === undefined ? [] : sortAssignments(current.placement)
  const planned = new Map(placement.map((a) => [a.cluster, a.replicas]))
  const degraded = new Set<string>()
  if (origin?.degraded !== undefined) degraded.add(`${origin.decidedBy} (origin): ${origin.degraded}`)

  // An acting binding speaks only for its writer's own clusters.
  const acting = new Map<ClusterId, number>()
  for (const b of bindings) {
    if (b.workload !== workload.key || b.generation !== workload.generation) continue
    if (b.decidedBy !== workload.origin && b.degraded !== undefined) degraded.add(`${b.decidedBy}: ${b.degraded}`)
    for (const a of b.placement) if (siteOfCluster(a.cluster) === b.decidedBy) acting.set(a.cluster, a.replicas)
  }
  const byCluster = new Map<ClusterId, ShareStatus>()
  for (const s of shares) if (s.workload === workload.key) byCluster.set(s.cluster, s)

  const ids = [...new Set([...planned.keys(), ...acting.keys(), ...byCluster.keys()])].sort(compareStrings)
  const clusters: ClusterStatus[] = []
  let ready = 0
  let available = 0
  let readyUpToDate = 0
  for (const id of ids) {
    const s = byCluster.get(id)
    const p = planned.get(id) ?? 0
    const act = acting.get(id)
    const row: ClusterStatus = {
      cluster: id, site: siteOfCluster(id), planned: p, ...(act !== undefined ? { acting: act } : {}),
      desired: s?.desired ?? 0, ready: s?.ready ?? 0, available: s?.available ?? 0,
      upToDate: s !== undefined && s.observedGeneration >= workload.generation,
      extra: p === 0 && ((act ?? 0) > 0 || (s?.desired ?? 0) > 0 || (s?.ready ?? 0) > 0)
    }
    if (s?.error !== undefined) {
      row.error = `${s.error.code}: ${s.error.message}`
      degraded.add(`${id}: ${row.error}`)
    }
    if (row.upToDate) readyUpToDate += row.ready
    ready += row.ready
    available += row.available
    if (p > 0 || row.extra || row.error !== undefined) clusters.push(row)
  }

  const desired = current === undefined ? desiredReplicas(workload.manifest) : totalReplicas(placement)
  // Ready wherever it runs: a workload failed over off its planned clusters is still Ready.
  const allReady = placement.length > 0 && readyUpToDate >= desired
  const phase: WorkloadPhase = degraded.size > 0
    ? 'Degraded'
    : current === undefined
      ? (ready > 0 ? 'Progressing' : 'Pending')
      : placement.length === 0 ? 'Unplaced' : allReady ? 'Ready' : 'Progressing'
  const where = clusters.filter((c) => c.ready > 0).length
  const extra = clusters.filter((c) => c.extra && c.ready > 0).length
  const summary = `${ready}/${desired} ready on ${where} cluster${where === 1 ? '' : 's'}` +
    (extra > 0 ? ` (${extra} outside the plan, draining or failed over)` : '') +
    (current === undefined ? (origin === undefined ? '; no placement yet' : `; placement for generation ${workload.generation} pending`) : '')
  return {
    workload: workload.key, generation: workload.generation, desired, ready, available, phase, placement, clusters,
    degraded: [...degraded].sort(compareStrings), summary
  }
}
