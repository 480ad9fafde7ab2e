/**
 * Warnings for a policy the site accepted but that will not do what it says yet: it
 * matches no cluster of this site's current view (by affinity, the policy's residency
 * regions and untolerated taints), asks for more spread groups than the matching
 * clusters span, weighs none of them, or has an override rule that reaches no cluster;
 * plus the parts that can never take effect while the rest can (`policyFindings` notes).
 * The API sends them as `Warning` headers (299), which kubectl prints as `Warning: ...`.
 * A policy that can never be satisfied is not warned about: it is refused.
 */
import type { ClusterRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { ClusterAffinity, OverrideSpec, PropagationSpec } from '../model/policy.ts'
import { policyFindings } from '../schedule/policy-contradictions.ts'
import { clusterAffinityMatches, clusterAffinityMiss } from '../schedule/selectors.ts'
import { checkTaints, describeTaint } from '../schedule/tolerations.ts'

/** At most this many clusters are named when saying why none matches. */
const NAMED = 3

function plural (n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`
}

/** Why a cluster is out for a placement term, or undefined when it can be used. */
function missOf (c: ClusterRecord, affinity: ClusterAffinity, spec: PropagationSpec): string | undefined {
  const regions = spec.residency?.regions
  if (regions !== undefined && !regions.includes(c.region)) return `region ${c.region || '(unset)'} is outside spec.residency.regions [${regions.join(', ')}]`
  const miss = clusterAffinityMiss(c, affinity)
  if (miss !== undefined) return miss.message
  const blocking = checkTaints(c.taints, spec.placement?.clusterTolerations ?? []).blocking
  return blocking === undefined ? undefined : `taint ${describeTaint(blocking)} is not tolerated`
}

function groupOf (c: ClusterRecord, spreadByField: string | undefined, spreadByLabel: string | undefined): string | undefined {
  const v = spreadByLabel !== undefined ? c.labels[spreadByLabel] : spreadByField === undefined || spreadByField === 'cluster' ? c.id : c[spreadByField as 'region' | 'zone' | 'provider' | 'site']
  return v === undefined || v === '' ? undefined : v
}

function propagationWarnings (spec: PropagationSpec, clusters: readonly ClusterRecord[]): string[] {
  const placement = spec.placement ?? {}
  const terms: Array<{ path: string, affinity: ClusterAffinity }> = placement.clusterAffinities !== undefined
    ? placement.clusterAffinities.map((t, i) => ({ path: `spec.placement.clusterAffinities[${i}]`, affinity: t }))
    : [{ path: 'spec.placement.clusterAffinity', affinity: placement.clusterAffinity ?? {} }]
  if (clusters.length === 0) return ['this site\'s view holds no cluster yet: the policy is stored and places workloads once clusters join']
  const matching = terms.map((t) => clusters.filter((c) => missOf(c, t.affinity, spec) === undefined))
  const used = matching.findIndex((m) => m.length > 0)
  if (used < 0) {
    const first = terms[0]!
    const why = clusters.slice(0, NAMED).map((c) => `${c.id}: ${missOf(c, first.affinity, spec) ?? ''}`).join('; ')
    const more = clusters.length > NAMED ? `; and ${clusters.length - NAMED} more` : ''
    return [`no cluster in this site's view matches ${terms.length > 1 ? 'any term of spec.placement.clusterAffinities' : 'the placement'} (${plural(clusters.length, 'cluster')}: ${why}${more}); the policy is stored and places workloads once a cluster matches`]
  }
  const out: string[] = []
  const pool = matching[used]!
  const where = terms.length > 1 ? ` of ${terms[used]!.path}` : ''
  for (const [i, s] of (placement.spreadConstraints ?? []).entries()) {
    const min = Math.max(1, s.minGroups ?? 1)
    const groups = new Set(pool.flatMap((c) => groupOf(c, s.spreadByField, s.spreadByLabel) ?? []))
    if (groups.size < min) {
      const by = s.spreadByLabel !== undefined ? `label ${s.spreadByLabel}` : s.spreadByField ?? 'cluster'
      out.push(`spec.placement.spreadConstraints[${i}] asks for at least ${min} ${by} groups, but the matching clusters${where} in this site's view span ${groups.size}${groups.size > 0 ? ` (${[...groups].sort().join(', ')})` : ''}: placements will be degraded until more join`)
    }
  }
  const rs = placement.replicaScheduling
  const weights = rs?.weightPreference?.staticWeightList
  if (rs?.replicaSchedulingType === 'Divided' && rs.replicaDivisionPreference !== 'Aggregated' && weights !== undefined &&
    !pool.some((c) => weights.some((w) => clusterAffinityMatches(c, w.targetCluster)))) {
    out.push(`no entry of spec.placement.replicaScheduling.weightPreference.staticWeightList matches a cluster the placement${where} admits in this site's view (${pool.map((c) => c.id).slice(0, NAMED).join(', ')}${pool.length > NAMED ? ', ...' : ''}): nothing is placed until one does`)
  }
  return out
}

function overrideWarnings (spec: OverrideSpec, clusters: readonly ClusterRecord[]): string[] {
  // With no cluster at all nothing is placed either; the propagation policies say so.
  if (clusters.length === 0) return []
  return (spec.overrideRules ?? []).flatMap((r, i) => {
    if (r.targetCluster === undefined || clusters.some((c) => clusterAffinityMatches(c, r.targetCluster!))) return []
    return [`spec.overrideRules[${i}].targetCluster matches no cluster in this site's view (${plural(clusters.length, 'cluster')}): the rule applies nowhere until one does`]
  })
}

/** Warnings for a valid policy `obj` against the clusters of the view; empty for other kinds. */
export function policyWarnings (obj: KubeObject, clusters: readonly ClusterRecord[]): string[] {
  const notes = policyFindings(obj).notes.map((n) => `${n.path} ${n.message}`)
  switch (obj.kind) {
    case 'PropagationPolicy': case 'ClusterPropagationPolicy':
      return [...notes, ...propagationWarnings(obj.spec as unknown as PropagationSpec, clusters)]
    case 'OverridePolicy':
      return [...notes, ...overrideWarnings(obj.spec as unknown as OverrideSpec, clusters)]
    default:
      return []
  }
}
