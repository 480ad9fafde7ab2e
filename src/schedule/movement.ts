/**
 * Movement between two placements: the replicas that must start somewhere they were
 * not before, sum over clusters of max(0, new - old). The stability guarantees and the
 * churn benchmark are stated in this measure.
 */
import type { ClusterAssignment } from '../model/federation.ts'

export function movedReplicas (before: readonly ClusterAssignment[], after: readonly ClusterAssignment[]): number {
  const old = new Map(before.map((a) => [a.cluster, a.replicas]))
  let moved = 0
  for (const a of after) moved += Math.max(0, a.replicas - (old.get(a.cluster) ?? 0))
  return moved
}
