/**
 * What every placement decision of one controller tick shares: the clusters of the view,
 * the propagation policies grouped by the site that wrote them, the observer's cluster
 * availability, and the failover settings. Scheduler views are prepared once per
 * distinct stabilisation window (the site default, plus any a policy sets), with the
 * unavailable and still-stabilizing clusters blocked, so ten thousand workloads share a
 * handful of views.
 */
import type { ClusterId, ClusterRecord, PolicyRecord, SiteId } from '../../model/federation.ts'
import type { PropagationSpec } from '../../model/policy.ts'
import { prepareClusterView, preparePolicies, type ClusterView, type PolicySet } from '../../schedule/index.ts'
import { sortedUniqueBy } from '../../schedule/order.ts'
import { checkDuration, stabilizingWithin, type ClusterAvailability } from './availability.ts'

export type FailbackPolicy = 'never' | 'after-stabilization'

/** The `failover` section of the site config that the decisions read. */
export interface FailoverSettings {
  /** When a cluster comes back, move work back after the window, or never. Default `after-stabilization`. */
  failback: FailbackPolicy
  /** How long a returned cluster must stay available before work moves back to it. Default 30,000. */
  stabilizationMs: number
  /** A share on an own cluster that is gone is removed after this long even if its replacement is not Ready. Default 60,000. */
  evictionTimeoutMs: number
}

export interface FailbackRule {
  policy: FailbackPolicy
  windowMs: number
  /** Whether the governing PropagationPolicy set it, or the site default applies. */
  source: 'policy' | 'site'
}

/** The fail-back rule for a workload governed by `spec` (undefined: no policy selects it). */
export function failbackRule (spec: PropagationSpec | undefined, settings: FailoverSettings): FailbackRule {
  const fb = spec?.failover?.failback
  if (fb === undefined) return { policy: settings.failback, windowMs: settings.stabilizationMs, source: 'site' }
  return {
    policy: fb.policy === 'Never' ? 'never' : 'after-stabilization',
    windowMs: fb.stabilizationSeconds !== undefined ? fb.stabilizationSeconds * 1000 : settings.stabilizationMs,
    source: 'policy'
  }
}

export interface PlacementView {
  view: ClusterView
  /** Clusters placement may not use: unavailable, or stabilizing under the window. */
  blocked: ReadonlySet<ClusterId>
  stabilizing: ReadonlySet<ClusterId>
}

export interface PlacementContext {
  /** Sorted by id. */
  clusters: readonly ClusterRecord[]
  byId: ReadonlyMap<ClusterId, ClusterRecord>
  availability: ClusterAvailability
  settings: FailoverSettings
  /** Propagation policies written by `origin`, prepared once. */
  policiesFor (origin: SiteId): PolicySet
  /** The scheduler view with the clusters blocked under a stabilisation window, prepared once. */
  viewFor (windowMs: number): PlacementView
}

export interface PlacementContextInput {
  clusters: readonly ClusterRecord[]
  /** Every policy record of the view; each workload is placed with the policies of its origin site. */
  policies: readonly PolicyRecord[]
  availability: ClusterAvailability
  settings: FailoverSettings
  /**
   * Prepared policy sets by content, kept by the caller from tick to tick: preparing
   * validates every policy of an origin, which would otherwise be redone every tick.
   */
  policySetCache?: Map<string, PolicySet>
}

/** What a prepared policy set depends on: the origin's propagation policy records, by key, generation and write time. */
function policySetSignature (origin: SiteId, records: readonly PolicyRecord[]): string {
  const parts = records.filter((r) => r.kind !== 'OverridePolicy').map((r) => `${r.key}@${r.generation}@${r.updatedAt}`).sort()
  return `${origin}\n${parts.join('\n')}`
}

export function preparePlacementContext (input: PlacementContextInput): PlacementContext {
  checkDuration('settings.stabilizationMs', input.settings.stabilizationMs)
  checkDuration('settings.evictionTimeoutMs', input.settings.evictionTimeoutMs)
  const clusters = sortedUniqueBy(input.clusters, (c) => c.id, 'clusters')
  const byId = new Map(clusters.map((c) => [c.id, c]))
  const av = input.availability
  const recordsByOrigin = new Map<SiteId, PolicyRecord[]>()
  for (const r of input.policies) {
    const list = recordsByOrigin.get(r.origin)
    if (list === undefined) recordsByOrigin.set(r.origin, [r])
    else list.push(r)
  }
  const policySets = new Map<SiteId, PolicySet>()
  const views = new Map<number, PlacementView>()
  return {
    clusters,
    byId,
    availability: av,
    settings: input.settings,
    policiesFor (origin) {
      let set = policySets.get(origin)
      if (set === undefined) {
        const records = recordsByOrigin.get(origin) ?? []
        const cache = input.policySetCache
        const sig = cache === undefined ? '' : policySetSignature(origin, records)
        set = cache?.get(sig) ?? preparePolicies(records)
        cache?.set(sig, set)
        policySets.set(origin, set)
      }
      return set
    },
    viewFor (windowMs) {
      let pv = views.get(windowMs)
      if (pv === undefined) {
        const stabilizing = stabilizingWithin(av, windowMs)
        const blocked = new Set<ClusterId>([...av.unavailable, ...stabilizing])
        pv = { view: prepareClusterView(clusters, { unavailable: blocked, failedSites: av.unavailableSites }), blocked, stabilizing }
        views.set(windowMs, pv)
      }
      return pv
    }
  }
}
