/**
 * The incremental assembly behind the view cache. Assembling 20 sites of 2,000
 * workloads from scratch touches every record on every tick; instead this keeps
 * indexes by workload key (claims, bindings, share statuses) and folds into them only
 * the entries whose decoded item changed between the previous and the current extract
 * of each site (extracts share unchanged buckets and items, so unchanged entries are
 * skipped by identity). Only the workloads whose inputs changed get a new view record;
 * the small per-site collections (clusters, stubs, evidence, events ...) are merged
 * again only when a site's part of them changed. The result equals `assembleView` of
 * the same extracts; a property test holds the two together. Views are shared between
 * refreshes, so their contents must never be mutated by callers.
 */
import type {
  Binding, ClusterRecord, EvidenceRecord, FederationEvent, PolicyRecord, RedactedStub, ShareStatus, WorkloadRecord
} from '../model/federation.ts'
import type { GlobalView, InspectionView, ViewAnomaly, ViewConflict, WorkloadView } from '../model/view.ts'
import { compareStrings } from '../store/docs/bucketed-map.ts'
import { EVENT_RING } from '../store/docs/site-events.ts'
import { siteView, values } from './assemble.ts'
import type { FederationExtract } from './federation-extract.ts'
import {
  byAnomaly, byCluster, byClusterId, byConflict, byDecider, byEvent, byEvidence, byInspection, byOrigin, byStub, conflictOf, workloadView
} from './order.ts'
import type { Item } from './read-entries.ts'
import type { Bucketed, SiteExtract } from './site-extract.ts'

export interface IncrementalAssembly {
  /** The view of `sites` (every current extract, by document id) and the federation. */
  apply (federation: FederationExtract, sites: ReadonlyMap<string, SiteExtract>): GlobalView
}

/** Pairs of (previous, current) items that differ, for every key of either collection. */
function * itemDeltas<T> (a: Bucketed<T> | undefined, b: Bucketed<T> | undefined): Generator<[Item<T> | undefined, Item<T> | undefined]> {
  if (a === b) return
  for (const [name, ba] of a ?? []) {
    const bb = b?.get(name)
    if (ba === bb) continue
    for (const [k, ia] of ba) {
      const ib = bb?.get(k)
      if (ia !== ib) yield [ia, ib]
    }
  }
  for (const [name, bb] of b ?? []) {
    const ba = a?.get(name)
    if (ba === bb) continue
    for (const [k, ib] of bb) if (ba?.get(k) === undefined) yield [undefined, ib]
  }
}

function valid<T> (item: Item<T> | undefined): T | undefined {
  return item?.ok === true ? item.value : undefined
}

/** Replaces in `index[key]` (a sorted, never mutated list) the element `drop` matches with `add`. */
function replace<T> (index: Map<string, T[]>, key: string, drop: (t: T) => boolean, add: T | undefined, order: (a: T, b: T) => number): void {
  const kept = (index.get(key) ?? []).filter((t) => !drop(t))
  if (add !== undefined) kept.push(add)
  if (kept.length === 0) index.delete(key)
  else index.set(key, kept.sort(order))
}

interface SitePart<T> { list: T[], anomalies: ViewAnomaly[] }

export function createIncrementalAssembly (): IncrementalAssembly {
  let known = new Map<string, SiteExtract>()
  const claims = new Map<string, WorkloadRecord[]>()
  const bindings = new Map<string, Binding[]>()
  const shares = new Map<string, ShareStatus[]>()
  const policyClaims = new Map<string, PolicyRecord[]>()
  const views = new Map<string, WorkloadView>()
  const workloadConflicts = new Map<string, ViewConflict>()
  let workloads: WorkloadView[] = []
  let policies: PolicyRecord[] = []
  let policyConflicts: ViewConflict[] = []
  let conflicts: ViewConflict[] = []

  // Per-site parts of the small collections, memoised on the extract's collection maps
  // (refreshSite keeps a collection's map when nothing in it changed).
  const memo = new WeakMap<object, unknown>()
  const part = <T>(key: object, compute: () => T): T => {
    if (memo.has(key)) return memo.get(key) as T
    const v = compute()
    memo.set(key, v)
    return v
  }
  const collect = <T>(b: Bucketed<T> | Map<string, Item<T>>): SitePart<T> => {
    const anomalies: ViewAnomaly[] = []
    const list = [...values(b, anomalies)]
    return { list, anomalies }
  }
  // A merged list is rebuilt only when one of its parts is a different array.
  const merges = new Map<string, { parts: unknown[][], merged: unknown[] }>()
  const merge = <T>(name: string, parts: T[][], order: (a: T, b: T) => number): T[] => {
    const last = merges.get(name)
    if (last !== undefined && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) return last.merged as T[]
    const merged = parts.flat().sort(order)
    merges.set(name, { parts, merged })
    return merged
  }

  function foldSite (a: SiteExtract | undefined, b: SiteExtract | undefined, dirty: Set<string>): boolean {
    const site = (a ?? b)!.site
    for (const [ia, ib] of itemDeltas(a?.collections.workloads, b?.collections.workloads)) {
      const old = valid(ia)
      const now = valid(ib)
      if (old !== undefined) { replace(claims, old.key, (c) => c.origin === site, undefined, byOrigin); dirty.add(old.key) }
      if (now !== undefined) { replace(claims, now.key, () => false, now, byOrigin); dirty.add(now.key) }
    }
    for (const [ia, ib] of itemDeltas(a?.collections.bindings, b?.collections.bindings)) {
      const old = valid(ia)
      const now = valid(ib)
      if (old !== undefined) { replace(bindings, old.workload, (x) => x.decidedBy === site, undefined, byDecider); dirty.add(old.workload) }
      if (now !== undefined) { replace(bindings, now.workload, () => false, now, byDecider); dirty.add(now.workload) }
    }
    for (const [ia, ib] of itemDeltas(a?.collections.shares, b?.collections.shares)) {
      const old = valid(ia)
      const now = valid(ib)
      if (old !== undefined) { replace(shares, old.workload, (x) => x.cluster === old.cluster, undefined, byCluster); dirty.add(old.workload) }
      if (now !== undefined) { replace(shares, now.workload, () => false, now, byCluster); dirty.add(now.workload) }
    }
    let policiesChanged = false
    for (const [ia, ib] of itemDeltas(a?.collections.policies, b?.collections.policies)) {
      const old = valid(ia)
      const now = valid(ib)
      if (old !== undefined) { replace(policyClaims, old.key, (c) => c.origin === site, undefined, byOrigin); policiesChanged = true }
      if (now !== undefined) { replace(policyClaims, now.key, () => false, now, byOrigin); policiesChanged = true }
    }
    return policiesChanged
  }

  return {
    apply (federation, sites) {
      const dirty = new Set<string>()
      let policiesChanged = false
      for (const id of new Set([...known.keys(), ...sites.keys()])) {
        const a = known.get(id)
        const b = sites.get(id)
        if (a !== b) policiesChanged = foldSite(a, b, dirty) || policiesChanged
      }
      known = new Map(sites)

      let keysChanged = false
      let conflictsChanged = false
      for (const key of dirty) {
        const c = claims.get(key)
        if (c === undefined) {
          if (views.delete(key)) keysChanged = true
          if (workloadConflicts.delete(key)) conflictsChanged = true
          continue
        }
        if (!views.has(key)) keysChanged = true
        views.set(key, workloadView(c[0]!, bindings.get(key) ?? [], shares.get(key) ?? []))
        const conflict = conflictOf('workloads', key, c)
        if (conflict !== undefined) { workloadConflicts.set(key, conflict); conflictsChanged = true } else if (workloadConflicts.delete(key)) conflictsChanged = true
      }
      if (keysChanged || dirty.size > 0) {
        const keys = keysChanged ? [...views.keys()].sort(compareStrings) : workloads.map((w) => w.key)
        workloads = keys.map((k) => views.get(k)!)
      }
      if (policiesChanged) {
        const keys = [...policyClaims.keys()].sort(compareStrings)
        policies = keys.map((k) => policyClaims.get(k)![0]!)
        policyConflicts = keys.flatMap((k) => conflictOf('policies', k, policyClaims.get(k)!) ?? [])
        conflictsChanged = true
      }
      if (conflictsChanged) conflicts = [...workloadConflicts.values(), ...policyConflicts].sort(byConflict)

      const ordered = [...sites.values()].sort((x, y) => compareStrings(x.site, y.site))
      const members = new Set(federation.view.members.map((m) => m.siteId))
      const clusterParts = ordered.map((ex) => part(ex.clusters, () => collect<ClusterRecord>(ex.clusters)))
      const stubParts = ordered.map((ex) => part(ex.collections.stubs, () => collect<RedactedStub>(ex.collections.stubs)))
      const evidenceParts = ordered.map((ex) => part(ex.collections.evidence, () => collect<EvidenceRecord>(ex.collections.evidence)))
      const inspectionParts = ordered.map((ex) => part(ex.collections.inspections, () => {
        const c = collect(ex.collections.inspections)
        return { list: c.list.map((i): InspectionView => ({ site: ex.site, kind: i.kind, target: i.target, history: i.history })), anomalies: c.anomalies }
      }))
      const eventParts = ordered.map((ex) => eventsPart(ex))
      const quietParts = ordered.flatMap((ex) => [ex.rootAnomalies, ...(['workloads', 'bindings', 'shares', 'policies'] as const)
        .map((c) => part(ex.collections[c], () => collect<unknown>(ex.collections[c] as Bucketed<unknown>).anomalies))])

      return {
        federation: federation.view,
        sites: ordered.map((ex, i) => siteView(ex, clusterParts[i]!.list.map((c) => c.id).sort(compareStrings), members)),
        clusters: merge('clusters', clusterParts.map((p) => p.list), byClusterId),
        workloads,
        policies,
        stubs: merge('stubs', stubParts.map((p) => p.list), byStub),
        inspections: merge('inspections', inspectionParts.map((p) => p.list), byInspection),
        evidence: merge('evidence', evidenceParts.map((p) => p.list), byEvidence),
        events: merge('events', eventParts.map((p) => p.list), byEvent),
        conflicts,
        anomalies: merge('anomalies', [federation.anomalies, ...quietParts,
          ...[clusterParts, stubParts, evidenceParts, inspectionParts, eventParts].flatMap((ps) => ps.map((p) => p.anomalies))], byAnomaly)
      }
    }
  }

  function eventsPart (ex: SiteExtract): SitePart<FederationEvent> {
    const cached = memo.get(ex.events) as (SitePart<FederationEvent> & { next: number }) | undefined
    if (cached !== undefined && cached.next === ex.eventsNext) return cached
    const c = collect(ex.events)
    const oldest = Math.max(0, ex.eventsNext - EVENT_RING)
    const p = { list: c.list.filter((e) => e.seq !== undefined && e.seq >= oldest && e.seq < ex.eventsNext), anomalies: c.anomalies, next: ex.eventsNext }
    memo.set(ex.events, p)
    return p
  }
}
