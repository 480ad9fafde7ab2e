/**
 * The effective placement of one workload as one observer sees it: the placement every
 * site acts on. It starts from the origin binding (the placement the workload's origin
 * site wrote) and departs from it only where this observer's own failure observations
 * say it must: clusters of the binding that are unavailable, or back for less than the
 * stabilisation window, are avoided by recomputing the placement without them. The
 * result depends only on the inputs — the view, the observer's unavailable and
 * stabilizing clusters, and, for fail-back `Never`, the observer's previous decision —
 * so survivors that see the same failures agree without talking. It never returns an
 * empty placement in place of a running one: when nothing better can be placed, the
 * old placement is kept and reported degraded.
 */
import type { Binding, ClusterAssignment, ClusterId, SiteId, WorkloadRecord } from '../../model/federation.ts'
import { isStatelessObject, type WorkloadKey } from '../../model/kube.ts'
import type { PropagationSpec } from '../../model/policy.ts'
import { scaleResources, type Resources } from '../../model/resources.ts'
import { placeInView, selectPolicy, withRoomGivenBack, type PlacementDecision } from '../../schedule/index.ts'
import { perReplicaResources } from '../../schedule/fit.ts'
import { effectiveResidency, residencyAllows, residencyMiss } from '../../schedule/residency.ts'
import { formatAssignments, sameAssignments, sortAssignments, totalReplicas, wellFormed } from './assignments.ts'
import { stabilizingText } from './availability.ts'
import { failbackRule, type FailbackRule, type PlacementContext, type PlacementView } from './context.ts'

export type EffectiveMode =
  /** The origin binding as written. */
  | 'origin'
  /** Recomputed without the clusters this observer cannot use (or kept from a failover, fail-back Never). */
  | 'failover'
  /** The old placement kept although part of it is unavailable: nothing better can be placed, or the workload may not move. */
  | 'kept'
  /** No usable origin binding for this generation yet: computed from the view, as the origin will. */
  | 'computed'

export interface DisplacedCluster {
  cluster: ClusterId
  /** Replicas the base placement gives it. */
  replicas: number
  /** `unknown`: the cluster is not in this observer's view (detached, or not replicated yet). */
  state: 'unavailable' | 'stabilizing' | 'unknown'
  reason: string
}

export interface BaseBinding {
  decidedBy: SiteId
  generation: number
  /** Sorted by cluster id. */
  assignments: ClusterAssignment[]
}

export interface EffectivePlacement {
  workload: WorkloadKey
  /** The workload generation this placement is for. */
  generation: number
  /** Sorted by cluster id. */
  assignments: ClusterAssignment[]
  mode: EffectiveMode
  /** One line: where the placement comes from and why. */
  reason: string
  /** Set when the workload is not running as its policy asks, with why. */
  degraded?: string
  /** Key of the governing policy record, when one selects the workload. */
  policy?: string
  failback: FailbackRule
  /** The origin binding this placement derives from; undefined when none could be used. */
  base?: BaseBinding
  /** Clusters of the base this observer avoids or cannot vouch for. Sorted by cluster id. */
  displaced: DisplacedCluster[]
}

export interface EffectivePlacementInput {
  context: PlacementContext
  workload: WorkloadRecord
  /** The binding the workload's origin site wrote, if any; a binding by any other site is ignored. */
  originBinding?: Binding
  /** This observer's decision for the workload at its previous tick; fail-back `Never` keeps a failover placement through it. */
  previous?: EffectivePlacement
  /**
   * What this observer recorded it acted on, for when it has no previous decision (it
   * restarted): its own acting binding, and whether its shares of the workload report
   * running under the current origin binding (`ShareStatus.basis`). See `restoredDecision`.
   */
  acted?: ActedRecord
}

export interface ActedRecord {
  /** This observer's own binding for the workload (written where it departs from the origin's). */
  binding: Binding
  /** Whether every share status this observer reports for the workload names the current origin binding as its plan. */
  underCurrentBase: boolean
}

/** The binding written by the workload's origin, among the bindings of the view. */
export function originBindingOf (workload: Pick<WorkloadRecord, 'key' | 'origin'>, bindings: readonly Binding[]): Binding | undefined {
  return bindings.find((b) => b.decidedBy === workload.origin && b.workload === workload.key)
}

export function degradedText (d: PlacementDecision['degraded']): string | undefined {
  return d === undefined ? undefined : `${d.code}: ${d.message}`
}

type ResidencyCheck = (list: readonly ClusterAssignment[]) => string | undefined

/** A check that names the first cluster of a placement lying outside the workload's residency. */
function residencyCheck (ctx: PlacementContext, w: WorkloadRecord, spec: PropagationSpec | undefined): ResidencyCheck {
  const residency = effectiveResidency(w.residency, spec?.residency, w.origin)
  return (list) => {
    for (const a of list) {
      const rec = ctx.byId.get(a.cluster)
      if (rec !== undefined && !residencyAllows(residency, rec)) return `${a.cluster} is outside the residency (${residencyMiss(residency, rec) ?? ''})`
    }
    return undefined
  }
}

/** Why the origin binding cannot serve as a base at all (as opposed to being stale). */
function unusableBinding (w: WorkloadRecord, b: Binding, outside: ResidencyCheck): string | undefined {
  if (b.decidedBy !== w.origin || b.workload !== w.key) return `binding by ${b.decidedBy} is not the origin's (${w.origin})`
  if (!wellFormed(b.placement)) return 'the origin binding is malformed (a cluster twice or a bad replica count)'
  const miss = outside(b.placement)
  return miss === undefined ? undefined : `it places on ${miss}`
}

function displacedOf (ctx: PlacementContext, pv: PlacementView, windowMs: number, base: readonly ClusterAssignment[]): DisplacedCluster[] {
  const av = ctx.availability
  const out: DisplacedCluster[] = []
  for (const a of base) {
    if (!ctx.byId.has(a.cluster)) {
      out.push({ cluster: a.cluster, replicas: a.replicas, state: 'unknown', reason: 'not in this site\'s view (detached, or not replicated here yet)' })
    } else if (av.unavailable.has(a.cluster)) {
      out.push({ cluster: a.cluster, replicas: a.replicas, state: 'unavailable', reason: av.reasons.get(a.cluster) ?? 'unavailable' })
    } else if (pv.stabilizing.has(a.cluster)) {
      out.push({ cluster: a.cluster, replicas: a.replicas, state: 'stabilizing', reason: stabilizingText(windowMs) })
    }
  }
  return out
}

/** Replicas of `list` on clusters that are up: neither unavailable nor unknown (stabilizing clusters run). */
export function runningOf (ctx: PlacementContext, list: readonly ClusterAssignment[]): number {
  let sum = 0
  for (const a of list) if (ctx.byId.has(a.cluster) && !ctx.availability.unavailable.has(a.cluster)) sum += a.replicas
  return sum
}

function describeDisplaced (list: readonly DisplacedCluster[]): string {
  return list.map((d) => `${d.cluster} (${d.state}: ${d.reason})`).join('; ')
}

/** What kind of workload stays where it is when its cluster goes. */
function unmovable (w: WorkloadRecord): string {
  switch (w.manifest.kind) {
    case 'StatefulSet': return 'stateful workload (StatefulSet)'
    case 'DaemonSet': return 'DaemonSet (bound to the nodes of its clusters)'
    case 'Deployment': return isStatelessObject(w.manifest) ? 'Deployment marked stateful' : 'stateful workload (Deployment with persistent volume claims)'
    default: return `${w.manifest.kind} marked stateful`
  }
}

/**
 * The room the workload's own replicas hold on the usable clusters of the placements it
 * runs (the base, and the observer's previous decision): a recomputation of the same
 * workload may reuse it. Without it the scheduler, which sees only free capacity, finds a
 * cluster full of the workload's own replicas full, and a displaced replica that fits
 * beside them is reported unplaceable (kept, degraded) while its cluster is gone.
 */
export function ownRoom (w: WorkloadRecord, pv: PlacementView, lists: ReadonlyArray<readonly ClusterAssignment[]>): Map<ClusterId, Resources> {
  const room = new Map<ClusterId, Resources>()
  let per: Resources | undefined
  try { per = perReplicaResources(w.manifest) } catch { per = undefined }
  if (per === undefined) return room
  const replicas = new Map<ClusterId, number>()
  for (const list of lists) for (const a of list) if (a.replicas > (replicas.get(a.cluster) ?? 0)) replicas.set(a.cluster, a.replicas)
  for (const [cluster, n] of replicas) if (!pv.blocked.has(cluster)) room.set(cluster, scaleResources(per, n))
  return room
}

/** The placement of `w` in the observer's view, with the clusters unavailable or stabilizing under its fail-back window blocked. */
export function placeFresh (ctx: PlacementContext, w: WorkloadRecord): PlacementDecision {
  return placeInView(placementViewOf(ctx, w).view, ctx.policiesFor(w.origin), w)
}

/** The same, with the room `w`'s own replicas hold on the usable clusters of `lists` given back (`ownRoom`). */
export function placeWithOwnRoom (ctx: PlacementContext, w: WorkloadRecord, lists: ReadonlyArray<readonly ClusterAssignment[]>): PlacementDecision {
  const pv = placementViewOf(ctx, w)
  return placeInView(withRoomGivenBack(pv.view, ownRoom(w, pv, lists)), ctx.policiesFor(w.origin), w)
}

function placementViewOf (ctx: PlacementContext, w: WorkloadRecord): PlacementView {
  const spec = selectPolicy(ctx.policiesFor(w.origin), w.manifest).policy?.spec
  return ctx.viewFor(failbackRule(spec, ctx.settings).windowMs)
}

/** A recomputation replaces a placement only if it places something and is either feasible or runs more replicas. */
export function improves (r: PlacementDecision, running: number): boolean {
  if (r.assignments.length === 0) return false
  return r.degraded === undefined || totalReplicas(r.assignments) > running
}

/** Whether `prev` was a failover away from this very base, for this generation. */
function failoverFromSameBase (prev: EffectivePlacement | undefined, base: BaseBinding, generation: number): prev is EffectivePlacement {
  return prev !== undefined && prev.mode === 'failover' && prev.generation === generation && prev.base !== undefined &&
    prev.base.decidedBy === base.decidedBy && prev.base.generation === base.generation &&
    sameAssignments(prev.base.assignments, base.assignments)
}

/**
 * The previous decision of an observer that has none because it restarted, rebuilt from
 * its acting binding: the placement it acted on and in which mode. A failover is restored
 * only while the origin binding it failed over from is still the current one for this
 * generation — the observer's shares report that plan — so a binding the origin rewrote
 * meanwhile is followed instead. Without it a restarted survivor went back to a degraded,
 * empty origin binding and stopped the only replicas running (found by the simulator:
 * `standard --duration 6m` seed 1144). A kept or computed placement is restored as it was:
 * it only ever serves as what to keep when a computation fails.
 */
export function restoredDecision (acted: ActedRecord | undefined, w: Pick<WorkloadRecord, 'key' | 'generation'>, ob: Binding | undefined, failback: FailbackRule): EffectivePlacement | undefined {
  if (acted === undefined) return undefined
  const b = acted.binding
  if (b.workload !== w.key || b.generation !== w.generation || b.placement.length === 0) return undefined
  const common = { workload: w.key, generation: b.generation, assignments: sortAssignments(b.placement), failback, displaced: [], ...(b.degraded !== undefined ? { degraded: b.degraded } : {}) }
  if (b.reason === 'failover') {
    if (ob === undefined || !acted.underCurrentBase || ob.generation !== w.generation) return undefined
    const base: BaseBinding = { decidedBy: ob.decidedBy, generation: ob.generation, assignments: sortAssignments(ob.placement) }
    return { ...common, mode: 'failover', base, reason: `restored after a restart: the failover this site acted on, from the origin binding still current` }
  }
  if (b.reason === 'kept' || b.reason === 'computed') {
    return { ...common, mode: b.reason, reason: `restored after a restart: the ${b.reason} placement this site acted on` }
  }
  return undefined
}

/**
 * The placement this observer acts on for `workload`. Pure: the same context (view,
 * availability, settings), binding and previous decision give the same result, whatever
 * the order of the arrays the context was built from.
 */
export function effectivePlacement (input: EffectivePlacementInput): EffectivePlacement {
  const ctx = input.context
  const w = input.workload
  const spec = selectPolicy(ctx.policiesFor(w.origin), w.manifest).policy?.spec
  const failback = failbackRule(spec, ctx.settings)
  const pv = ctx.viewFor(failback.windowMs)
  const outside = residencyCheck(ctx, w, spec)
  const stateless = w.stateless && isStatelessObject(w.manifest)
  let recomputed: PlacementDecision | undefined
  const recompute = (): PlacementDecision => (recomputed ??= placeFresh(ctx, w))
  const common = { workload: w.key, generation: w.generation, failback }
  const prev = input.previous?.workload === w.key ? input.previous : restoredDecision(input.acted, w, input.originBinding, failback)

  const fromScheduler = (r: PlacementDecision, mode: 'computed' | 'failover', reason: string, extra: Partial<EffectivePlacement> = {}): EffectivePlacement => {
    const degraded = degradedText(r.degraded)
    return {
      ...common, displaced: [], ...extra, assignments: sortAssignments(r.assignments), mode, reason,
      ...(degraded !== undefined ? { degraded } : {}), ...(r.policy !== undefined ? { policy: r.policy } : {})
    }
  }

  // No usable origin binding: compute as the origin will, but never trade what this
  // observer already runs for a failed placement (that would delete the workload).
  const computed = (why: string, fallback?: { assignments: readonly ClusterAssignment[], label: string, extra: Partial<EffectivePlacement> }): EffectivePlacement => {
    const r = recompute()
    if (r.degraded !== undefined && fallback !== undefined && fallback.assignments.length > 0 &&
        outside(fallback.assignments) === undefined && !improves(r, runningOf(ctx, fallback.assignments))) {
      return {
        ...common, displaced: [], ...fallback.extra, assignments: sortAssignments(fallback.assignments), mode: 'kept',
        reason: `${why}; keeping ${fallback.label}: ${formatAssignments(fallback.assignments)}`,
        degraded: `generation ${w.generation} cannot be placed (${degradedText(r.degraded) ?? ''}); keeping ${fallback.label}`
      }
    }
    return fromScheduler(r, 'computed', `${why}; computed: ${r.explanation.summary}`)
  }
  const previousFallback = prev === undefined
    ? undefined
    : { assignments: prev.assignments, label: 'the placement this site acted on', extra: prev.base !== undefined ? { base: prev.base } : {} }

  const ob = input.originBinding
  if (ob === undefined) return computed(`no binding from the origin ${w.origin} yet`, previousFallback)
  const unusable = unusableBinding(w, ob, outside)
  if (unusable !== undefined) return computed(`origin binding ignored: ${unusable}`, previousFallback)

  const base: BaseBinding = { decidedBy: ob.decidedBy, generation: ob.generation, assignments: sortAssignments(ob.placement) }
  const displaced = displacedOf(ctx, pv, failback.windowMs, base.assignments)
  // Moving work off the base: the replicas it runs on clusters that stay keep their room.
  let moved: PlacementDecision | undefined
  const recomputeMove = (): PlacementDecision => (moved ??= placeWithOwnRoom(ctx, w, [base.assignments, prev?.assignments ?? []]))
  const withBase = { base, displaced, ...(ob.policy !== undefined ? { policy: ob.policy } : {}) }

  if (ob.generation !== w.generation) {
    return computed(`the origin binding is for generation ${ob.generation}, not ${w.generation}`,
      { assignments: base.assignments, label: `the placement of generation ${ob.generation}`, extra: withBase })
  }

  const gone = displaced.filter((d) => d.state !== 'stabilizing')
  const running = runningOf(ctx, base.assignments)
  const asBase = (reason: string, degraded = ob.degraded): EffectivePlacement => ({
    ...common, ...withBase, assignments: base.assignments, mode: 'origin', reason, ...(degraded !== undefined ? { degraded } : {})
  })
  /** The observer's previous failover placement, kept as it is. */
  const stayOn = (previous: EffectivePlacement, reason: string): EffectivePlacement => ({
    ...common, ...withBase, assignments: previous.assignments, mode: 'failover', reason,
    ...(previous.degraded !== undefined ? { degraded: previous.degraded } : {})
  })
  const kept = (degraded: string): EffectivePlacement => ({
    ...common, ...withBase, assignments: base.assignments, mode: 'kept', degraded,
    reason: `kept the placement of generation ${base.generation} by ${base.decidedBy}: ${formatAssignments(base.assignments)}`
  })

  if (displaced.length === 0) {
    if (failback.policy === 'never' && failoverFromSameBase(prev, base, w.generation) &&
        prev.assignments.every((a) => ctx.byId.has(a.cluster) && !pv.blocked.has(a.cluster)) && outside(prev.assignments) === undefined) {
      return stayOn(prev, `fail-back is Never (${failback.source}): staying on ${formatAssignments(prev.assignments)} until the origin writes a new binding`)
    }
    if (ob.degraded !== undefined && stateless && ctx.availability.unavailableSites.has(w.origin)) {
      // A down origin cannot improve its degraded binding; the survivors may.
      const r = recomputeMove()
      if (improves(r, running)) {
        return fromScheduler(r, 'failover', `the origin ${w.origin} is unavailable and its binding is degraded (${ob.degraded}); recomputed: ${r.explanation.summary}`, withBase)
      }
    }
    if (ob.degraded !== undefined && stateless && failoverFromSameBase(prev, base, w.generation) &&
        runningOf(ctx, prev.assignments) > 0 && outside(prev.assignments) === undefined) {
      // The origin is back but has not rewritten its degraded binding yet: going back to
      // it would remove the replicas the survivors placed before anything replaces them
      // (found by the simulator: seed 147, a GPU workload dropped from 4 ready to 0) —
      // even when the failover runs no more than the binding, for both run side by side
      // and the binding alone runs short (regional-partition seed 75: 6 ready fell to 2
      // of 3). The origin places the workload again on the room they all hold.
      return stayOn(prev, `the origin ${w.origin} is back but its binding is still degraded (${ob.degraded}): staying on ${formatAssignments(prev.assignments)} until it writes a new one`)
    }
    if (ob.degraded !== undefined && stateless && prev !== undefined && runningOf(ctx, prev.assignments) > running &&
        prev.assignments.every((a) => ctx.byId.has(a.cluster) && !pv.blocked.has(a.cluster)) && outside(prev.assignments) === undefined) {
      // A binding the origin could not place in full, on another base than the one this
      // site acted on (a new generation, written while the clusters running it were still
      // stabilizing in the origin's view): taking it would remove running replicas before
      // anything replaces them (regional-partition seed 4305: 3 ready fell to 0 when the
      // origin updated a workload during its fail-back window and bound it nowhere). Stay
      // on what runs until the origin writes a binding that runs as many.
      return {
        ...common, ...withBase, assignments: prev.assignments, mode: 'kept', degraded: ob.degraded,
        reason: `the origin binding by ${base.decidedBy} for generation ${base.generation} is degraded (${ob.degraded}) and runs ${running} of the ${runningOf(ctx, prev.assignments)} replicas this site acted on: keeping ${formatAssignments(prev.assignments)}`
      }
    }
    return asBase(`origin binding by ${base.decidedBy} for generation ${base.generation}: ${formatAssignments(base.assignments)}`)
  }

  if (!stateless) {
    // Stateful replicas hold their data where they are: they wait for their cluster to return.
    if (gone.length === 0) return asBase(`origin binding by ${base.decidedBy}; a stateful workload stays on ${describeDisplaced(displaced)}`)
    return kept(`${unmovable(w)} does not move: ${totalReplicas(gone)} replicas on ${describeDisplaced(gone)}`)
  }

  const r = recomputeMove()
  const why = `avoiding ${describeDisplaced(displaced)}`
  if (improves(r, running)) return fromScheduler(r, 'failover', `${why}; recomputed: ${r.explanation.summary}`, withBase)
  if (gone.length === 0) {
    if (ob.degraded !== undefined && failoverFromSameBase(prev, base, w.generation) && runningOf(ctx, prev.assignments) > 0 &&
        prev.assignments.every((a) => !pv.blocked.has(a.cluster)) && outside(prev.assignments) === undefined) {
      // The base's clusters are back but stabilizing and the binding is short: the
      // failover placement stays (as after the window, above) rather than being forgotten
      // now and released when the window ends.
      return stayOn(prev, `the origin binding is degraded (${ob.degraded}) and ${describeDisplaced(displaced)}: staying on ${formatAssignments(prev.assignments)}`)
    }
    return asBase(`origin binding by ${base.decidedBy}: no placement without the stabilizing clusters holds its replicas (${why})`)
  }
  const blocker = degradedText(r.degraded) ?? (r.policy === undefined ? 'no propagation policy selects the workload any more' : 'no placement')
  return kept(`${totalReplicas(gone)} replicas cannot move off ${gone.map((d) => d.cluster).join(', ')}: ${blocker}`)
}
