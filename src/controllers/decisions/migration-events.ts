/**
 * Events for the log from one tick's change of effective placements: what moved, from
 * where to where, and why. Moves away from clusters this observer cannot use are
 * migrations; moves back onto the origin binding after a failover are fail-backs; a
 * workload that newly cannot run as its policy asks is degraded. Workloads moved for the
 * same cause share one event, so a site failure that moves a thousand workloads writes
 * one event, not a thousand (the event ring holds 1,000).
 */
import type { ClusterId, EventKind, FederationEvent } from '../../model/federation.ts'
import type { WorkloadKey } from '../../model/kube.ts'
import { compareStrings } from '../../schedule/order.ts'
import { replicasByCluster, sameAssignments, sortedIds } from './assignments.ts'
import type { EffectivePlacement } from './effective-placement.ts'

/** An event as the site document appends it (it assigns id, site and seq). */
export type DecisionEvent = Omit<FederationEvent, 'id' | 'site' | 'seq'>

interface Moved { workload: WorkloadKey, from: ClusterId[], to: ClusterId[] }

function movement (before: EffectivePlacement, after: EffectivePlacement): Moved | undefined {
  if (sameAssignments(before.assignments, after.assignments)) return undefined
  const old = replicasByCluster(before.assignments)
  const now = replicasByCluster(after.assignments)
  const from: ClusterId[] = []
  const to: ClusterId[] = []
  for (const c of sortedIds(new Set([...old.keys(), ...now.keys()]))) {
    const a = old.get(c) ?? 0
    const b = now.get(c) ?? 0
    if (b < a) from.push(c)
    else if (b > a) to.push(c)
  }
  return { workload: after.workload, from, to }
}

function migrationCause (after: EffectivePlacement, from: readonly ClusterId[]): string {
  const gone = after.displaced.filter((d) => d.state !== 'stabilizing' && from.includes(d.cluster))
  const list = gone.length > 0 ? gone : after.displaced
  if (list.length === 0) return after.reason
  return list.map((d) => `${d.cluster} ${d.state}: ${d.reason}`).join('; ')
}

/** Clusters the observer cannot use this tick, with why (`ClusterAvailability.unavailable` and `reasons`). */
export interface UnavailableClusters {
  unavailable: ReadonlySet<ClusterId>
  reasons: ReadonlyMap<ClusterId, string>
}

function classify (
  before: EffectivePlacement, after: EffectivePlacement, moved: Moved, gone: UnavailableClusters | undefined, failback: string | undefined
): { kind: EventKind, cause: string } | undefined {
  if (failback !== undefined && after.mode === 'origin') return { kind: 'failback', cause: failback }
  const awayFromDisplaced = moved.from.some((c) => after.displaced.some((d) => d.cluster === c))
  if (after.mode === 'failover' || awayFromDisplaced) return { kind: 'migration', cause: migrationCause(after, moved.from) }
  // The origin rebinds around a cluster it cannot use in the same tick, so its new binding
  // displaces nothing and the mode stays `origin`: still a move away from a failure.
  const awayFromGone = gone === undefined ? [] : moved.from.filter((c) => gone.unavailable.has(c))
  if (awayFromGone.length > 0) return { kind: 'migration', cause: awayFromGone.map((c) => `${c} unavailable: ${gone!.reasons.get(c) ?? 'unusable'}`).join('; ') }
  if (after.mode === 'origin' && (before.mode === 'failover' || before.mode === 'kept')) {
    const back = before.displaced.filter((d) => moved.to.includes(d.cluster)).map((d) => d.cluster)
    const rule = after.failback.policy === 'never'
      ? 'the origin wrote a new binding'
      : `fail-back after a ${after.failback.windowMs} ms stabilisation window (${after.failback.source})`
    return { kind: 'failback', cause: back.length > 0 ? `${back.join(', ')} available and stable: ${rule}` : rule }
  }
  return undefined
}

/**
 * The events for the step from `before` to `after` (this observer's effective placements
 * at its previous and current tick), at wall time `at`. Workloads present on one side
 * only (new or deleted) produce no movement; a workload newly degraded, or degraded for
 * a new reason, produces a `degraded` event; one that recovers an `info` event. `gone`
 * (the observer's unavailable clusters) makes a move away from one of them a migration
 * even when the effective placement is a fresh origin binding. `originFailbacks` names
 * the workloads whose origin — this observer — wrote a fail-back binding this tick, with
 * its reason: the origin acts on its own binding throughout, so its effective placement
 * stays `origin` and the move back would otherwise pass unrecorded.
 */
export function migrationEvents (
  before: ReadonlyMap<WorkloadKey, EffectivePlacement>, after: ReadonlyMap<WorkloadKey, EffectivePlacement>, at: number, gone?: UnavailableClusters,
  originFailbacks: ReadonlyMap<WorkloadKey, string> = new Map()
): DecisionEvent[] {
  const grouped = new Map<string, { kind: EventKind, cause: string, moved: Moved[] }>()
  const add = (kind: EventKind, cause: string, moved: Moved): void => {
    const key = `${kind}\u0000${cause}`
    const g = grouped.get(key)
    if (g === undefined) grouped.set(key, { kind, cause, moved: [moved] })
    else g.moved.push(moved)
  }
  for (const key of sortedIds(after.keys())) {
    const a = after.get(key)!
    const b = before.get(key)
    if (b !== undefined) {
      const moved = movement(b, a)
      const c = moved === undefined ? undefined : classify(b, a, moved, gone, originFailbacks.get(key))
      if (moved !== undefined && c !== undefined) add(c.kind, c.cause, moved)
    }
    if (a.degraded !== undefined && a.degraded !== b?.degraded) {
      add('degraded', a.degraded, { workload: key, from: a.displaced.filter((d) => d.state !== 'stabilizing').map((d) => d.cluster), to: [] })
    } else if (a.degraded === undefined && b?.degraded !== undefined) {
      add('info', `no longer degraded: ${a.reason}`, { workload: key, from: [], to: [] })
    }
  }
  const order: Record<string, number> = { migration: 0, failback: 1, degraded: 2, info: 3 }
  return [...grouped.values()]
    .sort((x, y) => (order[x.kind] ?? 9) - (order[y.kind] ?? 9) || compareStrings(x.cause, y.cause))
    .map((g): DecisionEvent => {
      const subject = g.moved.length === 1 ? g.moved[0]!.workload : `${g.moved.length} workloads`
      const withMoves = g.kind === 'migration' || g.kind === 'failback' || g.moved.some((m) => m.from.length > 0)
      return { kind: g.kind, at, subject, cause: g.cause, ...(withMoves ? { moved: g.moved } : {}) }
    })
}
