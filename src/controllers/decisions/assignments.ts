/**
 * Small operations on placements (lists of cluster assignments) shared by the decision
 * functions: canonical order, totals, equality, per-cluster lookup and the site that owns
 * a cluster. Placements are compared and summed in many places; keeping one definition
 * of each keeps every site's arithmetic the same.
 */
import type { ClusterAssignment, ClusterId, SiteId } from '../../model/federation.ts'
import { compareStrings } from '../../schedule/order.ts'

/** The site that owns a cluster: global cluster ids are `<siteId>.<clusterName>`, both DNS labels. */
export function siteOfCluster (id: ClusterId): SiteId {
  const dot = id.indexOf('.')
  return dot < 0 ? id : id.slice(0, dot)
}

/** A sorted copy (by cluster id), the canonical order of every placement this module returns. */
export function sortAssignments (list: readonly ClusterAssignment[]): ClusterAssignment[] {
  return list.map((a) => ({ cluster: a.cluster, replicas: a.replicas })).sort((a, b) => compareStrings(a.cluster, b.cluster))
}

export function totalReplicas (list: readonly ClusterAssignment[]): number {
  let sum = 0
  for (const a of list) sum += a.replicas
  return sum
}

/** Same clusters with the same replicas, whatever the order. */
export function sameAssignments (a: readonly ClusterAssignment[], b: readonly ClusterAssignment[]): boolean {
  if (a.length !== b.length) return false
  const x = sortAssignments(a)
  const y = sortAssignments(b)
  return x.every((p, i) => p.cluster === y[i]!.cluster && p.replicas === y[i]!.replicas)
}

export function replicasByCluster (list: readonly ClusterAssignment[]): Map<ClusterId, number> {
  const out = new Map<ClusterId, number>()
  for (const a of list) out.set(a.cluster, (out.get(a.cluster) ?? 0) + a.replicas)
  return out
}

/** A placement is well formed when every cluster appears once with a whole, non-negative replica count. */
export function wellFormed (list: readonly ClusterAssignment[]): boolean {
  const seen = new Set<ClusterId>()
  for (const a of list) {
    if (typeof a.cluster !== 'string' || seen.has(a.cluster)) return false
    if (!Number.isSafeInteger(a.replicas) || a.replicas < 0) return false
    seen.add(a.cluster)
  }
  return true
}

/** `a=3 b=2`, the compact form used in reasons and events. */
export function formatAssignments (list: readonly ClusterAssignment[]): string {
  return list.length === 0 ? '(nothing)' : sortAssignments(list).map((a) => `${a.cluster}=${a.replicas}`).join(' ')
}

export function sortedIds (ids: Iterable<string>): string[] {
  return [...ids].sort(compareStrings)
}
