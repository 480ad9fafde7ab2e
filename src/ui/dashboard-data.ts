/**
 * What the dashboard derives from the site, computed at most once per view version:
 * the workload index, the merged timeline and the merged evidence. Live updates make
 * every open browser refetch after a change, so without this each of them would rebuild
 * 10,000 rows; with it the first request after a change pays, and only for the
 * workloads that changed (rows are memoised by record).
 */
import type { EvidenceRecord } from '../model/federation.ts'
import type { GlobalView } from '../model/view.ts'
import type { SiteHandle } from '../site/site-handle.ts'
import type { TimelineEvent } from './dashboard-types.ts'
import { mergeEvents, mergeEvidence } from './queries/timeline.ts'
import { buildWorkloadIndex, type WorkloadIndex } from './queries/workload-index.ts'
import { createRowCache } from './queries/workload-rows.ts'

export interface DashboardData {
  index (): WorkloadIndex
  events (): readonly TimelineEvent[]
  evidence (): readonly EvidenceRecord[]
}

function perVersion<T> (site: SiteHandle, compute: () => T): () => T {
  let at = -1
  let value: T | undefined
  return () => {
    const v = site.viewVersion()
    if (value === undefined || v !== at) {
      value = compute()
      at = v
    }
    return value
  }
}

export function createDashboardData (site: SiteHandle): DashboardData {
  const rowOf = createRowCache()
  let last: { workloads: GlobalView['workloads'], index: WorkloadIndex } | undefined
  function index (): WorkloadIndex {
    const view = site.view()
    // A change that left every workload as it was (an event, a cluster, a heartbeat) keeps the index.
    if (last !== undefined && last.workloads === view.workloads && site.localWorkloads().length === 0 && last.index.counts.byPhase.LocalOnly === 0) return last.index
    last = { workloads: view.workloads, index: buildWorkloadIndex(view, site, rowOf) }
    return last.index
  }
  return {
    index: perVersion(site, index),
    events: perVersion(site, () => mergeEvents(site.view(), site.events())),
    evidence: perVersion(site, () => mergeEvidence(site.view(), site.evidence()))
  }
}
