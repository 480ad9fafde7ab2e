/**
 * Residency: the compliance boundary no placement may cross. A workload's own residency
 * and its policy's `residency` both apply, and the stricter wins (regions intersect,
 * local-only from either side holds), so a policy can narrow a workload but never widen
 * it. The check runs first, before affinities, fallbacks or spreading, so nothing that
 * relaxes later can reach a cluster outside the line.
 */
import type { ClusterRecord, Residency, SiteId } from '../model/federation.ts'
import type { PropagationSpec } from '../model/policy.ts'
import { bugActive } from '../testing/injected-bugs.ts'

export interface EffectiveResidency {
  /** Allowed regions (sorted, unique); undefined when regions are not restricted. */
  regions?: string[]
  /** Only the origin site's clusters. */
  localOnly: boolean
  origin: SiteId
  /** Which inputs restricted it. */
  sources: Array<'workload' | 'policy'>
}

export function effectiveResidency (workload: Residency, policy: PropagationSpec['residency'], origin: SiteId): EffectiveResidency {
  let regions: Set<string> | undefined
  let localOnly = false
  const sources: Array<'workload' | 'policy'> = []
  if (workload.kind === 'regions') { regions = new Set(workload.regions); sources.push('workload') }
  if (workload.kind === 'local-only') { localOnly = true; sources.push('workload') }
  if (policy !== undefined) {
    let used = false
    if (policy.regions !== undefined) {
      regions = regions === undefined ? new Set(policy.regions) : new Set(policy.regions.filter((r) => regions!.has(r)))
      used = true
    }
    if (policy.localOnly === true) { localOnly = true; used = true }
    if (used) sources.push('policy')
  }
  return {
    ...(regions !== undefined ? { regions: [...regions].sort() } : {}),
    localOnly,
    origin,
    sources
  }
}

export function residencyAllows (r: EffectiveResidency, cluster: Pick<ClusterRecord, 'site' | 'region'>): boolean {
  // bugActive: a test-only injected bug for the simulator's self-test (src/testing/injected-bugs.ts); always off in production.
  if (bugActive('residency-filter-off')) return true
  if (r.localOnly && cluster.site !== r.origin) return false
  return r.regions === undefined || r.regions.includes(cluster.region)
}

/** Why `cluster` lies outside the residency, or undefined when it is inside. */
export function residencyMiss (r: EffectiveResidency, cluster: Pick<ClusterRecord, 'site' | 'region'>): string | undefined {
  if (r.localOnly && cluster.site !== r.origin) return `local-only: site ${cluster.site} is not the origin site ${r.origin}`
  if (r.regions !== undefined && !r.regions.includes(cluster.region)) {
    return `region ${cluster.region || '(unset)'} is outside the allowed regions [${r.regions.join(', ')}]`
  }
  return undefined
}

export function describeResidency (r: EffectiveResidency): string {
  const parts: string[] = []
  if (r.localOnly) parts.push(`local-only (site ${r.origin})`)
  if (r.regions !== undefined) parts.push(`regions [${r.regions.join(', ')}]`)
  return parts.length === 0 ? 'global' : parts.join(' and ')
}
