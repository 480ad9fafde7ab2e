/**
 * Availability, judged on ground truth (ready replicas the cluster models really run,
 * summed over every cluster) for the stateless Deployments of honest origins:
 *
 * - no-gap: a workload that had ready replicas at one sample never has none at the next,
 *   unless a cluster that ran some of its ready replicas went dark within the excuse
 *   window before (suspectMs + 2 ticks + 2 samples), or a cluster of a Byzantine site
 *   ran some of them within that window. The window is the undetected-crash window of
 *   docs/failover.md: within suspectMs of a failure a dead site's last report still looks
 *   live, so a share may be released on a replacement that just died. A Byzantine site
 *   can likewise report Ready replicas and remove them the next moment: honest sites
 *   trust the Ready reports of sites their detector holds alive, by design. No decision
 *   on observed state can close those windows; anything else that empties a workload
 *   (eviction before the replacement is Ready, a deleted share) is a violation.
 * - recovery: a workload that was at its desired ready replicas since its user last
 *   changed it, and then fell short, is back at them once no fault has started or ended
 *   for the bound (T_fail + 15 s by default: detection, a tick, the pod ready delay and
 *   replication) — where capacity allows: the missing replicas of every short Deployment
 *   fit together, first-fit within their allowed regions, into the room free now
 *   (allocatable − allocated) on the Ready nodes of up sites, without moving anything
 *   that runs, and leaving out clusters the placing sites still hold back for their
 *   stabilisation window (the origin, or every survivor while it is down: room that
 *   came back less than the window plus the bound ago); under contention no single workload is blamed for being left out. A
 *   workload that never reached its desired ready replicas is not judged here ("back at"
 *   needs a before): sites place concurrently on capacity figures a moment old, so two
 *   origins can fill the same GPU node, and the core has no descheduler to move Pending
 *   replicas (the no-gap rule still watches it). Workloads bound by their origin to
 *   clusters of a site that lies about its clusters are exempt: a site can always
 *   black-hole work placed on its own clusters.
 * - no-false-failure: an honest site never judges another honest site failed while both
 *   were up and connected with no cut between them for the last T_fail + 2 s.
 */
import { RESOURCE_KEYS, type Resources } from '../../src/model/resources.ts'
import type { Violation } from './types.ts'

export interface GapInput {
  key: string
  previousReady: number
  ready: number
  /** True time a cluster running ready replicas of the workload last went dark. */
  lostAtMs: number
  /** Last sample time at which a Byzantine site's cluster ran ready replicas of it; -Infinity if never. */
  byzantineReadyAtMs: number
  excuseMs: number
  timeMs: number
}

export function gapViolation (g: GapInput): Violation | undefined {
  if (g.previousReady < 1 || g.ready > 0) return undefined
  if (g.timeMs - g.lostAtMs <= g.excuseMs || g.timeMs - g.byzantineReadyAtMs <= g.excuseMs) return undefined
  return {
    invariant: 'availability', rule: 'no-gap', timeMs: g.timeMs, subject: g.key,
    message: `${g.key} went from ${g.previousReady} ready replica(s) to none, with no cluster running it lost, and none of a Byzantine site running it, in the last ${g.excuseMs} ms (a share was removed before its replacement was Ready)`
  }
}

export interface RecoveryInput {
  key: string
  ready: number
  desired: number
  /** Whether the workload was at `desired` ready replicas at some sample since its user's last change. */
  reachedDesired: boolean
  /** Since when nothing excused a shortfall (last fault change, last user change). */
  quietSinceMs: number
  boundMs: number
  timeMs: number
}

export function recoveryViolation (r: RecoveryInput): Violation | undefined {
  if (!r.reachedDesired || r.ready >= r.desired || r.timeMs - r.quietSinceMs < r.boundMs) return undefined
  return {
    invariant: 'availability', rule: 'recovery', timeMs: r.timeMs, subject: r.key,
    message: `${r.key} has ${r.ready} of ${r.desired} ready replicas ${Math.round((r.timeMs - r.quietSinceMs) / 1000)} s after the last fault change (bound ${Math.round(r.boundMs / 1000)} s), although capacity allows it`
  }
}

export interface ReturnInput {
  /** Whether the cluster belongs to the observer's own site (its own clusters never stabilize for it). */
  ownSite: boolean
  /** True time of the last sample at which the observer and the cluster's site were not both up and connected; -Infinity if never. */
  lastBreakMs: number
  /** When the observer's process last started: its failure detector remembers nothing older. */
  observerUpSinceMs: number
  /** True time of the last sample at which the cluster had a NotReady node; -Infinity if never. */
  lastDarkMs: number
  /** The stabilisation window plus the availability bound. */
  windowMs: number
  timeMs: number
}

/**
 * Whether a cluster's room is still held back from an observer's placements by the
 * stabilisation window (docs/failover.md): the cluster came back into the observer's
 * sight — its nodes Ready again, or its site reachable again after a break the observer
 * lived through — less than the window plus the bound ago. A break the observer did not
 * live through (it restarted since) does not count: a restarted observer meets every
 * cluster afresh and holds none back. Breaks of any length count, so the rule errs
 * towards excusing a shortfall rather than blaming one the design asks for.
 */
export function heldBackByStabilisation (r: ReturnInput): boolean {
  if (r.timeMs - r.lastDarkMs < r.windowMs) return true
  if (r.ownSite || r.lastBreakMs < r.observerUpSinceMs) return false
  return r.timeMs - r.lastBreakMs < r.windowMs
}

export interface FalseFailureInput {
  observer: string
  subject: string
  timeMs: number
  /** Since when both were up and connected with no cut (true ms). */
  connectedSinceMs: number
  failMs: number
}

export function falseFailureViolation (f: FalseFailureInput): Violation | undefined {
  if (f.timeMs - f.connectedSinceMs < f.failMs + 2_000) return undefined
  return {
    invariant: 'availability', rule: 'no-false-failure', timeMs: f.timeMs, site: f.observer, subject: f.subject,
    message: `${f.observer} judged honest site ${f.subject} failed although both were up and connected for the last ${Math.round((f.timeMs - f.connectedSinceMs) / 1000)} s (T_fail ${Math.round(f.failMs / 1000)} s)`
  }
}

export interface PackWorkload {
  key: string
  replicas: number
  perReplica: Resources
  /** Clusters the workload may use. */
  clusters: ReadonlySet<string>
}

export interface PackNode {
  cluster: string
  name: string
  allocatable: Resources
}

/**
 * First-fit packing of the workloads (GPU ones first, then by key) onto the nodes (by
 * cluster, then name): the keys of the workloads whose every replica found room. An
 * independent, deliberately simple answer to "does capacity allow it".
 */
export function packWorkloads (workloads: readonly PackWorkload[], nodes: readonly PackNode[]): Set<string> {
  const free = [...nodes].sort((a, b) => a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : a.name < b.name ? -1 : 1)
    .map((n) => ({ cluster: n.cluster, free: { ...n.allocatable } }))
  const gpuFirst = (w: PackWorkload): number => w.perReplica.gpu + w.perReplica.vgpuCores > 0 ? 0 : 1
  const order = [...workloads].sort((a, b) => gpuFirst(a) - gpuFirst(b) || (a.key < b.key ? -1 : 1))
  const fitted = new Set<string>()
  for (const w of order) {
    const taken: Array<{ node: Resources }> = []
    let ok = true
    for (let r = 0; r < w.replicas; r++) {
      const slot = free.find((n) => w.clusters.has(n.cluster) && RESOURCE_KEYS.every((k) => n.free[k] >= w.perReplica[k]))
      if (slot === undefined) { ok = false; break }
      for (const k of RESOURCE_KEYS) slot.free[k] -= w.perReplica[k]
      taken.push({ node: slot.free })
    }
    if (ok) fitted.add(w.key)
    else for (const t of taken) for (const k of RESOURCE_KEYS) t.node[k] += w.perReplica[k]
  }
  return fitted
}
