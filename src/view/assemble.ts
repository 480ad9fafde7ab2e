/**
 * Assembles the global view from the extracts of every document: merges sites, picks
 * one record per contested key (the lowest origin site id wins, the others are listed
 * as conflicts), attaches each workload's bindings and share statuses, and sorts
 * everything by id or key so the result does not depend on the order documents came in.
 */
import type {
  Binding, ClusterRecord, EvidenceRecord, FederationEvent, PolicyRecord, RedactedStub, ShareStatus, WorkloadRecord
} from '../model/federation.ts'
import type { GlobalView, InspectionView, SiteView, ViewAnomaly, ViewConflict, WorkloadView } from '../model/view.ts'
import { compareStrings } from '../store/docs/bucketed-map.ts'
import { EVENT_RING } from '../store/docs/site-events.ts'
import type { FederationExtract } from './federation-extract.ts'
import type { Item } from './read-entries.ts'
import {
  byAnomaly, byCluster, byClusterId, byConflict, byDecider, byEvent, byEvidence, byInspection, byOrigin, byStub, conflictOf, workloadView
} from './order.ts'
import type { Bucketed, SiteExtract } from './site-extract.ts'

export function * values<T> (b: Bucketed<T> | Map<string, Item<T>>, anomalies: ViewAnomaly[]): Generator<T> {
  for (const v of b.values()) {
    if (v instanceof Map) {
      for (const item of v.values()) {
        if (item.ok) yield item.value
        else anomalies.push(item.anomaly)
      }
    } else if (v.ok) {
      yield v.value
    } else {
      anomalies.push(v.anomaly)
    }
  }
}

function pushTo<K, V> (m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k)
  if (list === undefined) m.set(k, [v])
  else list.push(v)
}

export function siteView (ex: SiteExtract, clusters: string[], members: ReadonlySet<string>): SiteView {
  const sv: SiteView = { id: ex.site, clusters, member: members.has(ex.site), heads: ex.heads }
  if (ex.info !== undefined) sv.info = ex.info
  return sv
}

/** `sites` in any order; the result is the same. */
export function assembleView (federation: FederationExtract, sites: readonly SiteExtract[]): GlobalView {
  const ordered = [...sites].sort((a, b) => compareStrings(a.site, b.site))
  const anomalies: ViewAnomaly[] = [...federation.anomalies]
  const members = new Set(federation.view.members.map((m) => m.siteId))

  const siteViews: SiteView[] = []
  const clusters: ClusterRecord[] = []
  const workloadClaims = new Map<string, WorkloadRecord[]>()
  const policyClaims = new Map<string, PolicyRecord[]>()
  const bindings = new Map<string, Binding[]>()
  const shares = new Map<string, ShareStatus[]>()
  const stubs: RedactedStub[] = []
  const inspections: InspectionView[] = []
  const evidence: EvidenceRecord[] = []
  const events: FederationEvent[] = []

  for (const ex of ordered) {
    anomalies.push(...ex.rootAnomalies)
    const siteClusters: string[] = []
    for (const c of values(ex.clusters, anomalies)) { clusters.push(c); siteClusters.push(c.id) }
    siteViews.push(siteView(ex, siteClusters.sort(compareStrings), members))
    const col = ex.collections
    for (const w of values(col.workloads, anomalies)) pushTo(workloadClaims, w.key, w)
    for (const p of values(col.policies, anomalies)) pushTo(policyClaims, p.key, p)
    for (const b of values(col.bindings, anomalies)) pushTo(bindings, b.workload, b)
    for (const s of values(col.shares, anomalies)) pushTo(shares, s.workload, s)
    for (const s of values(col.stubs, anomalies)) stubs.push(s)
    for (const i of values(col.inspections, anomalies)) inspections.push({ site: ex.site, kind: i.kind, target: i.target, history: i.history })
    for (const e of values(col.evidence, anomalies)) evidence.push(e)
    const oldest = Math.max(0, ex.eventsNext - EVENT_RING)
    for (const e of values(ex.events, anomalies)) {
      if (e.seq !== undefined && e.seq >= oldest && e.seq < ex.eventsNext) events.push(e)
    }
  }

  const conflicts: ViewConflict[] = []
  const workloads: WorkloadView[] = []
  for (const key of [...workloadClaims.keys()].sort(compareStrings)) {
    const claims = workloadClaims.get(key)!.sort(byOrigin)
    const conflict = conflictOf('workloads', key, claims)
    if (conflict !== undefined) conflicts.push(conflict)
    workloads.push(workloadView(claims[0]!, (bindings.get(key) ?? []).sort(byDecider), (shares.get(key) ?? []).sort(byCluster)))
  }
  const policies: PolicyRecord[] = []
  for (const key of [...policyClaims.keys()].sort(compareStrings)) {
    const claims = policyClaims.get(key)!.sort(byOrigin)
    const conflict = conflictOf('policies', key, claims)
    if (conflict !== undefined) conflicts.push(conflict)
    policies.push(claims[0]!)
  }

  return {
    federation: federation.view,
    sites: siteViews,
    clusters: clusters.sort(byClusterId),
    workloads,
    policies,
    stubs: stubs.sort(byStub),
    inspections: inspections.sort(byInspection),
    evidence: evidence.sort(byEvidence),
    events: events.sort(byEvent),
    conflicts: conflicts.sort(byConflict),
    anomalies: anomalies.sort(byAnomaly)
  }
}
