/**
 * Which clusters one observer can use right now, and which have only just come back.
 * A cluster is unavailable when its owner site is unavailable to this observer (failed
 * or recovering per its own failure detector) or its owner reports it other than Ready;
 * it is stabilizing when it became available again less than a stabilisation window
 * ago, so a cluster whose health or site flaps does not pull work back and forth. The
 * times come from the observer's memory of transitions on its own monotonic clock,
 * carried from tick to tick by the controller (`trackAvailability`); no wall clock of
 * another site is trusted for this.
 */
import { FlotillaError } from '../../model/errors.ts'
import type { ClusterId, ClusterRecord, SiteId } from '../../model/federation.ts'
import { compareStrings } from '../../schedule/order.ts'

export interface AvailabilityRecord {
  available: boolean
  /** Observer's monotonic ms when `available` last changed, or when the cluster was first seen. */
  since: number
  /**
   * Whether the current available spell follows an unavailable one this observer saw in
   * a definite state. A cluster first seen available has not "returned" and never
   * stabilizes; nor has one whose owner only ever reported it Unknown before (a driver
   * that had not reached its cluster yet, as at a site's start-up).
   */
  returned: boolean
  /** Whether this observer has seen the cluster available, NotReady, or its site unavailable. */
  everKnown: boolean
}

/** The observer's memory, per cluster; kept by the controller, replaced each tick. */
export type AvailabilityMemory = ReadonlyMap<ClusterId, AvailabilityRecord>

export interface ClusterAvailability {
  /** The observer's monotonic time these sets were computed for. */
  now: number
  /** The site default window used for `stabilizing`; policies may ask for another (`stabilizingWithin`). */
  stabilizationMs: number
  unavailableSites: ReadonlySet<SiteId>
  /** Clusters this observer cannot use (iteration in cluster id order). */
  unavailable: Set<ClusterId>
  /** Clusters back for less than `stabilizationMs` (iteration in cluster id order). */
  stabilizing: Set<ClusterId>
  /** Why each unavailable or stabilizing cluster is so. */
  reasons: Map<ClusterId, string>
  /** When this observer saw each unavailable cluster become unavailable. */
  unavailableSince: Map<ClusterId, number>
  /** When each cluster that came back after an absence did so (kept while it stays available). */
  returnedAt: Map<ClusterId, number>
  /** Since when this observer has seen each available cluster available (its return, or first sight). */
  availableSince: Map<ClusterId, number>
}

export interface ClusterAvailabilityInput {
  clusters: readonly ClusterRecord[]
  /** Sites failed or recovering per the observer's failure detector (`unavailableSites(detector)`). */
  unavailableSites: ReadonlySet<SiteId>
  /** The observer's memory; missing entries count as first seen now. */
  memory: AvailabilityMemory
  /** Observer's monotonic ms. */
  now: number
  /** Default 30,000 in the site config (`failover.stabilizationMs`). */
  stabilizationMs: number
}

function checkTime (name: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new FlotillaError('input-invalid', `'${name}' must be a finite number of milliseconds: received ${value}`,
      'Pass the monotonic time of the observer\'s clock.', { details: { field: name, value } })
  }
}

export function checkDuration (name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new FlotillaError('input-invalid', `'${name}' must be a finite non-negative number of milliseconds: received ${value}`,
      'Check the failover section of the site config and the policy\'s failover.failback.', { details: { field: name, value } })
  }
}

/** Why the observer cannot use `cluster`, or undefined when it can. */
export function unavailabilityReason (cluster: Pick<ClusterRecord, 'site' | 'health'>, unavailableSites: ReadonlySet<SiteId>): string | undefined {
  if (unavailableSites.has(cluster.site)) return `site ${cluster.site} is failed or recovering per this site's failure detector`
  if (cluster.health !== 'Ready') return `health is ${cluster.health} as reported by its owner ${cluster.site}`
  return undefined
}

function nextRecord (prev: AvailabilityRecord | undefined, cluster: Pick<ClusterRecord, 'site' | 'health'>, unavailableSites: ReadonlySet<SiteId>, now: number): AvailabilityRecord {
  const available = unavailabilityReason(cluster, unavailableSites) === undefined
  const known = available || unavailableSites.has(cluster.site) || cluster.health !== 'Unknown'
  if (prev === undefined) return { available, since: now, returned: false, everKnown: known }
  if (prev.available === available) return known && !prev.everKnown ? { ...prev, everKnown: true } : prev
  return { available, since: now, returned: available && prev.everKnown, everKnown: prev.everKnown || known }
}

function sortedClusters (clusters: readonly ClusterRecord[]): ClusterRecord[] {
  return [...clusters].sort((a, b) => compareStrings(a.id, b.id))
}

/**
 * The memory for the next tick: a record per cluster of the view, changed only where a
 * cluster became available or unavailable; clusters gone from the view are forgotten.
 */
export function trackAvailability (
  memory: AvailabilityMemory, clusters: readonly ClusterRecord[], unavailableSites: ReadonlySet<SiteId>, now: number
): Map<ClusterId, AvailabilityRecord> {
  checkTime('now', now)
  const next = new Map<ClusterId, AvailabilityRecord>()
  for (const c of sortedClusters(clusters)) {
    next.set(c.id, nextRecord(memory.get(c.id), c, unavailableSites, now))
  }
  return next
}

function formatSeconds (ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

/**
 * The observer's view of every cluster at `now`. Consistent with `trackAvailability`
 * whether or not the memory was already updated for this tick: a cluster whose state
 * differs from its record is treated as having changed now.
 */
export function clusterAvailability (input: ClusterAvailabilityInput): ClusterAvailability {
  const { now, stabilizationMs } = input
  checkTime('now', now)
  checkDuration('stabilizationMs', stabilizationMs)
  const out: ClusterAvailability = {
    now,
    stabilizationMs,
    unavailableSites: input.unavailableSites,
    unavailable: new Set(),
    stabilizing: new Set(),
    reasons: new Map(),
    unavailableSince: new Map(),
    returnedAt: new Map(),
    availableSince: new Map()
  }
  for (const c of sortedClusters(input.clusters)) {
    const why = unavailabilityReason(c, input.unavailableSites)
    const rec = nextRecord(input.memory.get(c.id), c, input.unavailableSites, now)
    if (why !== undefined) {
      out.unavailable.add(c.id)
      out.reasons.set(c.id, why)
      out.unavailableSince.set(c.id, rec.since)
      continue
    }
    out.availableSince.set(c.id, rec.since)
    if (!rec.returned) continue
    out.returnedAt.set(c.id, rec.since)
    if (now - rec.since < stabilizationMs) {
      out.stabilizing.add(c.id)
      out.reasons.set(c.id, stabilizingText(stabilizationMs))
    }
  }
  return out
}

/** Clusters back for less than `windowMs` (a policy's own stabilisation window), in id order. */
export function stabilizingWithin (av: ClusterAvailability, windowMs: number): Set<ClusterId> {
  if (windowMs === av.stabilizationMs) return av.stabilizing
  checkDuration('windowMs', windowMs)
  const out = new Set<ClusterId>()
  for (const [id, at] of av.returnedAt) if (av.now - at < windowMs) out.add(id)
  return out
}

/**
 * Why a stabilizing cluster is held back under `windowMs`. The text does not change while
 * the window runs, so decisions that carry it do not change (and get rewritten) every tick.
 */
export function stabilizingText (windowMs: number): string {
  return `available again, within its ${formatSeconds(windowMs)} stabilisation window`
}

/**
 * Clusters whose stabilisation window of `windowMs` ended after `previousNow` and by
 * `av.now`: the fail-back trigger of an origin whose policy fails back after
 * stabilisation. In id order.
 */
export function stabilizedSince (av: ClusterAvailability, previousNow: number, windowMs: number): ClusterId[] {
  checkTime('previousNow', previousNow)
  checkDuration('windowMs', windowMs)
  const out: ClusterId[] = []
  for (const [id, at] of av.returnedAt) {
    const end = at + windowMs
    if (end > previousNow && end <= av.now) out.push(id)
  }
  return out
}

/**
 * Those of `clusters` this observer has seen available for at least `windowMs` without a
 * break, in id order. Unlike `stabilizedSince` it needs no memory of the failure, so a
 * restarted origin can tell that the clusters its failover binding avoided are back.
 */
export function stableFor (av: ClusterAvailability, clusters: readonly ClusterId[], windowMs: number): ClusterId[] {
  checkDuration('windowMs', windowMs)
  const out: ClusterId[] = []
  for (const id of [...clusters].sort(compareStrings)) {
    const since = av.availableSince.get(id)
    if (since !== undefined && av.now - since >= windowMs) out.push(id)
  }
  return out
}
