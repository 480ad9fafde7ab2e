/**
 * Hand-backs after a failover: what a site's shares act on while its failover ends. When
 * this observer's failover ends because the base's clusters stabilized, the base may be
 * the origin's own failover binding, written while the origin could not use this site's
 * clusters, and the origin fails back on its own window at about the same moment.
 * Releasing at once lets every site release in favour of replicas their owners are
 * releasing in favour of ours (found by the simulator: every replica of a workload gone
 * at once when a regional partition heals). So the failover's replicas on this site's
 * clusters stay for one more window, or until the origin writes a new binding (a new
 * base), and are then shrunk gracefully.
 */
import type { ClusterAssignment, ClusterId } from '../model/federation.ts'
import { sortAssignments, type EffectivePlacement } from '../controllers/decisions/index.ts'
import { sameRecord } from './same-record.ts'

type Base = NonNullable<EffectivePlacement['base']>

export interface HandBacks {
  /** The assignments this site's shares of `key` act on: the effective placement, widened by a hand-back in progress. */
  assignments (key: string, prev: EffectivePlacement | undefined, eff: EffectivePlacement, now: number): readonly ClusterAssignment[]
  /** Forgets hand-backs of workloads no longer decided. */
  retain (decided: { has: (key: string) => boolean }): void
  /** When each hand-back in progress began (monotonic ms), for the tick's wake-ups. */
  startedAt (): number[]
}

export function createHandBacks (isOwn: (cluster: ClusterId) => boolean): HandBacks {
  const handBacks = new Map<string, { base: Base, since: number, keep: ClusterAssignment[] }>()
  return {
    assignments (key, prev, eff, now) {
      if (prev !== undefined && prev.mode === 'failover' && eff.mode === 'origin' && sameBase(prev.base, eff.base)) {
        const keep = prev.assignments.filter((a) => isOwn(a.cluster) && a.replicas > 0)
        if (keep.length > 0) handBacks.set(key, { base: eff.base!, since: now, keep })
      }
      const h = handBacks.get(key)
      if (h === undefined) return eff.assignments
      if (eff.mode !== 'origin' || !sameBase(h.base, eff.base) || now - h.since >= eff.failback.windowMs) {
        handBacks.delete(key)
        return eff.assignments
      }
      const merged = new Map(eff.assignments.map((a) => [a.cluster, a.replicas]))
      for (const a of h.keep) merged.set(a.cluster, Math.max(merged.get(a.cluster) ?? 0, a.replicas))
      return sortAssignments([...merged].map(([cluster, replicas]) => ({ cluster, replicas })))
    },
    retain (decided) {
      for (const key of [...handBacks.keys()]) if (!decided.has(key)) handBacks.delete(key)
    },
    startedAt: () => [...handBacks.values()].map((h) => h.since)
  }
}

function sameBase (a: EffectivePlacement['base'], b: EffectivePlacement['base']): boolean {
  return a !== undefined && b !== undefined && a.decidedBy === b.decidedBy && a.generation === b.generation &&
    sameRecord(a.assignments, b.assignments)
}
