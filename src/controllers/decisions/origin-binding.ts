/**
 * When the origin site rewrites a workload's binding, and to what. The origin binding is
 * sticky: it changes only on a trigger — no binding yet, a new generation, a policy
 * change, a cluster of the binding gone, or (fail-back after stabilisation) a cluster
 * whose window just ended and that the placement would use again. On a failure the
 * origin writes exactly the failover placement every other observer computes
 * (`effectivePlacement`), so when its new binding arrives nothing moves a second time.
 */
import type { Binding, ClusterAssignment, ClusterId, WorkloadRecord } from '../../model/federation.ts'
import { placeInView, selectPolicy } from '../../schedule/index.ts'
import { sameAssignments, sortAssignments } from './assignments.ts'
import { stabilizedSince } from './availability.ts'
import { failbackRule, type PlacementContext } from './context.ts'
import { degradedText, effectivePlacement, improves, runningOf } from './effective-placement.ts'

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
}

function keep (current: Binding): OriginBindingDecision {
  return {
    write: false, placement: sortAssignments(current.placement), reason: current.reason,
    ...(current.policy !== undefined ? { policy: current.policy } : {}), ...(current.degraded !== undefined ? { degraded: current.degraded } : {})
  }
}

/** What the origin of `workload` should hold as its binding this tick. */
export function originBinding (input: OriginBindingInput): OriginBindingDecision {
  const { context: ctx, workload: w, current } = input
  const set = ctx.policiesFor(w.origin)
  const selected = selectPolicy(set, w.manifest).policy
  const failback = failbackRule(selected?.spec, ctx.settings)
  const pv = ctx.viewFor(failback.windowMs)
  const recompute = (trigger: OriginTrigger, why: string): OriginBindingDecision => {
    const r = placeInView(pv.view, set, w)
    const degraded = degradedText(r.degraded)
    // A failed recomputation never replaces a placement that runs more.
    if (current !== undefined && r.degraded !== undefined && !improves(r, runningOf(ctx, current.placement)) && current.placement.length > 0) {
      const note = `${why}: cannot be placed (${degraded ?? ''}); keeping the previous placement`
      return { ...keep(current), write: current.degraded !== note, trigger, degraded: note }
    }
    return {
      write: true, trigger, placement: sortAssignments(r.assignments), reason: `${why}: ${r.explanation.summary}`,
      ...(r.policy !== undefined ? { policy: r.policy } : {}), ...(degraded !== undefined ? { degraded } : {})
    }
  }

  if (current === undefined || current.decidedBy !== w.origin) return recompute('no-binding', 'first placement')
  if (current.generation !== w.generation) return recompute('generation', `generation ${w.generation}`)
  if (input.policyChanged === true || current.policy !== selected?.key) return recompute('policy', 'policy changed')

  const e = effectivePlacement({ context: ctx, workload: w, originBinding: current })
  if (e.mode === 'failover') {
    return {
      write: true, trigger: 'failover', placement: e.assignments, reason: e.reason,
      ...(e.policy !== undefined ? { policy: e.policy } : {}), ...(e.degraded !== undefined ? { degraded: e.degraded } : {})
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
  if (current.degraded !== undefined) {
    const r = placeInView(pv.view, set, w)
    if (r.degraded === undefined && sameAssignments(r.assignments, current.placement)) {
      return {
        write: true, trigger: 'degraded', placement: sortAssignments(r.assignments), reason: `no longer degraded: ${r.explanation.summary}`,
        ...(r.policy !== undefined ? { policy: r.policy } : {})
      }
    }
  }
  if (failback.policy === 'never' || input.previousNow === undefined) return keep(current)
  const back = new Set<ClusterId>(stabilizedSince(ctx.availability, input.previousNow, failback.windowMs))
  if (back.size === 0) return keep(current)
  // Fail back only where the placement would use a returned cluster again.
  const r = placeInView(pv.view, set, w)
  if (!r.assignments.some((a) => back.has(a.cluster) && a.replicas > 0) || sameAssignments(r.assignments, current.placement)) return keep(current)
  if (r.degraded !== undefined && !improves(r, runningOf(ctx, current.placement))) return keep(current)
  const degraded = degradedText(r.degraded)
  return {
    write: true, trigger: 'failback', placement: sortAssignments(r.assignments),
    reason: `fail-back after ${failback.windowMs} ms stable (${[...back].join(', ')}): ${r.explanation.summary}`,
    ...(r.policy !== undefined ? { policy: r.policy } : {}), ...(degraded !== undefined ? { degraded } : {})
  }
}
