/**
 * When the origin site rewrites a workload's binding, and to what. The origin binding is
 * sticky: it changes only on a trigger — no binding yet, a new generation, a policy
 * change, a cluster of the binding gone, or (fail-back after stabilisation) a cluster
 * whose window just ended and that the placement would use again. On a failure the
 * origin writes exactly the failover placement every other observer computes
 * (`effectivePlacement`), so when its new binding arrives nothing moves a second time,
 * and names the clusters it moved off (`avoided`): once those have been available for
 * the window on the origin's own clock it fails back, even if it restarted meanwhile
 * and so never saw them fail. A stateless workload it could place only in part is placed
 * again as soon as room frees up, so freed capacity is used without a user's edit.
 * Every recomputation may reuse the room the workload's own Ready replicas hold, wherever
 * their owners report them: the scheduler sees only free capacity, and a cluster full of
 * the workload's own replicas is not full for it.
 */
import type { Binding, ClusterAssignment, ClusterId, ShareStatus, WorkloadRecord } from '../../model/federation.ts'
import { isStatelessObject } from '../../model/kube.ts'
import { selectPolicy, type PlacementDecision } from '../../schedule/index.ts'
import { sameAssignments, sortAssignments } from './assignments.ts'
import { stabilizedSince, stableFor } from './availability.ts'
import { failbackRule, type PlacementContext } from './context.ts'
import { degradedText, effectivePlacement, improves, placeWithOwnRoom, runningOf } from './effective-placement.ts'

export type OriginTrigger = 'no-binding' | 'generation' | 'policy' | 'failover' | 'failback' | 'degraded'

export interface OriginBindingInput {
  context: PlacementContext
  workload: WorkloadRecord
  /** The binding the origin wrote last for the workload, if any. */
  current?: Binding
  /** The policies governing the workload changed since `current` was written (the controller tracks their generations). */
  policyChanged?: boolean
  /** The observer's monotonic time at its previous tick; fail-back fires for windows that ended after it. Omit on the first tick. */
  previousNow?: number
  /**
   * The workload's share statuses, as the clusters' owners report them (failover shares
   * included). The room its Ready replicas of the current generation hold is the
   * workload's to reuse when the origin places it again.
   */
  shares?: readonly ShareStatus[]
}

export interface OriginBindingDecision {
  /** Whether to write a new binding. */
  write: boolean
  trigger?: OriginTrigger
  /** The placement to write (the current one when nothing changes). Sorted by cluster id. */
  placement: ClusterAssignment[]
  policy?: string
  reason: string
  degraded?: string
  /** Clusters the placement moved off after a failure and may fail back to (sorted). */
  avoided?: ClusterId[]
  /** For a fail-back that moves the workload: its cause, the same for every workload it moves (events group by it). */
  failbackCause?: string
}

function keep (current: Binding): OriginBindingDecision {
  return {
    write: false, placement: sortAssignments(current.placement), reason: current.reason,
    ...(current.policy !== undefined ? { policy: current.policy } : {}), ...(current.degraded !== undefined ? { degraded: current.degraded } : {}),
    ...avoidedField(current.avoided ?? [])
  }
}

function avoidedField (list: Iterable<ClusterId>): { avoided?: ClusterId[] } {
  const sorted = [...new Set(list)].sort()
  return sorted.length === 0 ? {} : { avoided: sorted }
}

/**
 * The scheduler's decision whenever the origin places `w` (anew, or again): the view
 * with the room the workload's Ready replicas of this generation hold given back. Only
 * replicas that surely hold room give it back: Ready ones (a Pending replica holds
 * none), of this generation (room is sized by this generation's requests). Not the
 * binding's own figures: a binding kept for a generation that could not be placed names
 * the old generation's replicas. `explain` runs the same function.
 */
export function originPlacement (ctx: PlacementContext, w: WorkloadRecord, shares: readonly ShareStatus[]): PlacementDecision {
  const held: ClusterAssignment[] = shares.filter((sh) => sh.workload === w.key && sh.ready > 0 && sh.observedGeneration === w.generation)
    .map((sh) => ({ cluster: sh.cluster, replicas: sh.ready }))
  return placeWithOwnRoom(ctx, w, [held])
}

/** What the origin of `workload` should hold as its binding this tick. */
export function originBinding (input: OriginBindingInput): OriginBindingDecision {
  const { context: ctx, workload: w, current } = input
  const set = ctx.policiesFor(w.origin)
  const selected = selectPolicy(set, w.manifest).policy
  const failback = failbackRule(selected?.spec, ctx.settings)
  const pv = ctx.viewFor(failback.windowMs)
  let placed: PlacementDecision | undefined
  const place = (): PlacementDecision => (placed ??= originPlacement(ctx, w, input.shares ?? []))
  // Clusters a failover moved off stay owed a fail-back through later rewrites, until
  // they have been stable for the window (or fail-back is Never).
  const stillAvoided = (): ClusterId[] => {
    if (failback.policy === 'never' || current?.avoided === undefined) return []
    const stable = new Set(stableFor(ctx.availability, current.avoided, failback.windowMs))
    return current.avoided.filter((c) => !stable.has(c))
  }
  const recompute = (trigger: OriginTrigger, why: string): OriginBindingDecision => {
    const r = place()
    const degraded = degradedText(r.degraded)
    // A failed recomputation never replaces a placement that runs more.
    if (current !== undefined && r.degraded !== undefined && !improves(r, runningOf(ctx, current.placement)) && current.placement.length > 0) {
      const note = `${why}: cannot be placed (${degraded ?? ''}); keeping the previous placement`
      return { ...keep(current), write: current.degraded !== note, trigger, degraded: note }
    }
    return {
      write: true, trigger, placement: sortAssignments(r.assignments), reason: `${why}: ${r.explanation.summary}`,
      ...(r.policy !== undefined ? { policy: r.policy } : {}), ...(degraded !== undefined ? { degraded } : {}),
      ...avoidedField(stillAvoided())
    }
  }

  if (current === undefined || current.decidedBy !== w.origin) return recompute('no-binding', 'first placement')
  if (current.generation !== w.generation) return recompute('generation', `generation ${w.generation}`)
  if (input.policyChanged === true || current.policy !== selected?.key) return recompute('policy', 'policy changed')

  const e = effectivePlacement({ context: ctx, workload: w, originBinding: current })
  if (e.mode === 'failover') {
    return {
      write: true, trigger: 'failover', placement: e.assignments, reason: e.reason,
      ...(e.policy !== undefined ? { policy: e.policy } : {}), ...(e.degraded !== undefined ? { degraded: e.degraded } : {}),
      ...(failback.policy === 'never' ? {} : avoidedField([...(current.avoided ?? []), ...e.displaced.map((d) => d.cluster)]))
    }
  }
  if (e.mode !== 'origin') {
    // Kept (stateful, or nothing better fits) or recomputed because the binding was unusable.
    if (e.mode === 'computed') return recompute('no-binding', 'the previous binding was unusable')
    return e.degraded === current.degraded ? keep(current) : { ...keep(current), write: true, trigger: 'degraded', ...(e.degraded !== undefined ? { degraded: e.degraded } : {}) }
  }
  // A degradation noted while clusters were gone (kept in place) ends when the scheduler
  // places the workload cleanly where it already is: rewrite the same placement without
  // the note, or the binding would report the workload degraded for ever.
  const again = current.degraded === undefined ? undefined : place()
  const same = again !== undefined && sameAssignments(again.assignments, current.placement)
  if (again !== undefined && again.degraded === undefined && same) {
    return {
      write: true, trigger: 'degraded', placement: sortAssignments(again.assignments), reason: `no longer degraded: ${again.explanation.summary}`,
      ...(again.policy !== undefined ? { policy: again.policy } : {}), ...avoidedField(stillAvoided())
    }
  }
  const back = failback.policy === 'never' ? undefined : failbackDecision()
  if (back !== undefined) return back
  // A shortfall of capacity ends when room frees up: a stateless workload is placed again
  // as soon as that runs more (never off a cluster that is gone or stabilizing: failover
  // and fail-back own those). Otherwise it would run short until its user edits it.
  const movable = w.stateless && isStatelessObject(w.manifest) && current.placement.every((a) => ctx.byId.has(a.cluster) && !pv.blocked.has(a.cluster))
  if (again !== undefined && movable && !same && improves(again, runningOf(ctx, current.placement))) {
    const degraded = degradedText(again.degraded)
    return {
      write: true, trigger: 'degraded', placement: sortAssignments(again.assignments), reason: `placed again, as the capacity now allows more: ${again.explanation.summary}`,
      ...(again.policy !== undefined ? { policy: again.policy } : {}), ...(degraded !== undefined ? { degraded } : {}), ...avoidedField(stillAvoided())
    }
  }
  return keep(current)

  /** Fail-back to clusters back and stable for the window; undefined when there is none to make. */
  function failbackDecision (): OriginBindingDecision | undefined {
    const cur = current!
    const owed = stableFor(ctx.availability, cur.avoided ?? [], failback.windowMs)
    const back = new Set<ClusterId>([...(input.previousNow === undefined ? [] : stabilizedSince(ctx.availability, input.previousNow, failback.windowMs)), ...owed])
    if (back.size === 0) return undefined
    // Fail back only where the placement would use a returned cluster again.
    const r = place()
    const unused = !r.assignments.some((a) => back.has(a.cluster) && a.replicas > 0) || sameAssignments(r.assignments, cur.placement) ||
      (r.degraded !== undefined && !improves(r, runningOf(ctx, cur.placement)))
    if (unused) {
      // Stable again but not wanted (capacity moved on): stop owing them a fail-back, so the
      // placement is not recomputed every tick for ever.
      if (owed.length === 0) return undefined
      const { avoided: _settled, ...kept } = keep(cur)
      return { ...kept, write: true, trigger: 'failback', reason: `kept: ${owed.join(', ')} stable again, but the placement does not need them back`, ...avoidedField(stillAvoided()) }
    }
    const degraded = degradedText(r.degraded)
    const cause = `${[...back].sort().join(', ')} available and stable for ${failback.windowMs} ms: fail-back per the ${failback.source === 'policy' ? 'policy' : 'site default'}`
    return {
      write: true, trigger: 'failback', placement: sortAssignments(r.assignments), failbackCause: cause,
      reason: `fail-back after ${failback.windowMs} ms stable (${[...back].sort().join(', ')}): ${r.explanation.summary}`,
      ...(r.policy !== undefined ? { policy: r.policy } : {}), ...(degraded !== undefined ? { degraded } : {}), ...avoidedField(stillAvoided())
    }
  }
}
