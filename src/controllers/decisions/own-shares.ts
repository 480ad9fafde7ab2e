/**
 * The replicas one site runs of one workload on each of its own clusters, with graceful
 * eviction. Starting or growing a share happens at once; shrinking or removing one waits
 * until the replacement is Ready — the ready replicas the other clusters of the effective
 * placement report add up to what they are asked to run — or, when the share's own
 * cluster is gone, until the eviction timeout has passed since it went. Only share status
 * from clusters this observer can use and from sites it holds alive counts as Ready, so a
 * failed site's last report cannot release a share. A decision therefore never takes the
 * last ready replicas away while their replacement is pending.
 */
import type { ClusterAssignment, ClusterId, ShareStatus, SiteId } from '../../model/federation.ts'
import { FlotillaError } from '../../model/errors.ts'
import { compareStrings } from '../../schedule/order.ts'
import { replicasByCluster, siteOfCluster } from './assignments.ts'
import { checkDuration, type ClusterAvailability } from './availability.ts'
import { bugActive } from '../../testing/injected-bugs.ts'

export type ShareAction =
  /** Runs what it is asked; nothing to change. */
  | 'steady'
  /** Not running yet on this cluster: start at once. */
  | 'start'
  /** Asked for more: grow at once. */
  | 'scale-up'
  /** Asked for fewer (or none), but the replacement is not Ready: keep the current replicas. */
  | 'draining'
  /** Asked for fewer and the replacement is Ready: shrink. */
  | 'scale-down'
  /** No longer placed here and the replacement is Ready: remove. */
  | 'stop'
  /** The cluster has been gone longer than the eviction timeout: let the share go. */
  | 'evicted'

export interface OwnShare {
  /** Replicas to run on the cluster now (0: remove the share). */
  replicas: number
  /** Replicas the effective placement asks of the cluster. */
  target: number
  action: ShareAction
  reason: string
}

export interface OwnSharesInput {
  /** The observing site; only its own clusters are decided. */
  site: SiteId
  /** The effective placement of the workload (`effectivePlacement(...).assignments`). */
  effective: readonly ClusterAssignment[]
  /** What this site runs now per own cluster: its previous decision, or its acting binding after a restart. */
  current: ReadonlyMap<ClusterId, number>
  /** Share status of the workload from the view (every cluster's owner reports its own). */
  shares: readonly ShareStatus[]
  availability: ClusterAvailability
  /** Sites whose share status counts as Ready: this site and those its failure detector holds alive. */
  trustedSites: ReadonlySet<SiteId>
  /**
   * The plan this site acts on (`shareBasis` of its effective placement). A replacement
   * counts as Ready only if its owner reports it under the same plan (or names none): two
   * sites on different versions of the origin binding would otherwise each release in
   * favour of the other's replicas, at the same moment.
   */
  basis?: string
  /** Observer's monotonic ms. */
  now: number
  /** Default 60,000 (`failover.evictionTimeoutMs`). */
  evictionTimeoutMs: number
}

function checkInput (input: OwnSharesInput): void {
  checkDuration('evictionTimeoutMs', input.evictionTimeoutMs)
  if (!Number.isFinite(input.now)) {
    throw new FlotillaError('input-invalid', `'now' must be a finite number of milliseconds: received ${input.now}`,
      'Pass the monotonic time of the observer\'s clock.', { details: { field: 'now', value: input.now } })
  }
  for (const [cluster, n] of input.current) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new FlotillaError('input-invalid', `'current' of ${cluster} must be a whole non-negative replica count: received ${n}`,
        'Pass the replicas this site last decided for the cluster.', { details: { field: 'current', cluster, value: n } })
    }
  }
}

/**
 * This site's share of the workload on each of its own clusters that the effective
 * placement names or that it currently runs, in cluster id order.
 */
export function ownShares (input: OwnSharesInput): Map<ClusterId, OwnShare> {
  checkInput(input)
  const { site, availability: av, now } = input
  const effective = replicasByCluster(input.effective)
  const ready = new Map<ClusterId, number>()
  for (const s of input.shares) {
    const samePlan = input.basis === undefined || s.basis === undefined || s.basis === input.basis
    ready.set(s.cluster, samePlan ? Math.max(0, s.ready) : 0)
  }

  // Ready replicas the effective placement's clusters report, counted only where this
  // observer can vouch for them, and what those clusters are asked to run.
  let readyTotal = 0
  let askedTotal = 0
  const readyOn = new Map<ClusterId, number>()
  for (const [cluster, asked] of effective) {
    if (asked <= 0) continue
    askedTotal += asked
    const trusted = input.trustedSites.has(siteOfCluster(cluster)) && !av.unavailable.has(cluster)
    const r = trusted ? (ready.get(cluster) ?? 0) : 0
    readyOn.set(cluster, r)
    readyTotal += r
  }

  const own = new Set<ClusterId>()
  for (const c of effective.keys()) if (siteOfCluster(c) === site) own.add(c)
  for (const c of input.current.keys()) if (siteOfCluster(c) === site) own.add(c)

  const out = new Map<ClusterId, OwnShare>()
  for (const cluster of [...own].sort(compareStrings)) {
    const target = effective.get(cluster) ?? 0
    const current = input.current.get(cluster) ?? 0
    if (target === current) {
      out.set(cluster, { replicas: target, target, action: 'steady', reason: `runs ${target} as placed` })
      continue
    }
    if (target > current) {
      const action = current === 0 ? 'start' : 'scale-up'
      out.set(cluster, { replicas: target, target, action, reason: current === 0 ? `placed here: start ${target}` : `placed here: grow ${current} → ${target}` })
      continue
    }
    const othersReady = readyTotal - (readyOn.get(cluster) ?? 0)
    const othersAsked = askedTotal - Math.max(0, target)
    const goneSince = av.unavailableSince.get(cluster)
    // bugActive: a test-only injected bug for the simulator's self-test (src/testing/injected-bugs.ts); always off in production.
    if (othersReady >= othersAsked || bugActive('evict-before-ready')) {
      out.set(cluster, {
        replicas: target, target, action: target === 0 ? 'stop' : 'scale-down',
        reason: `replacement Ready (${othersReady} ready of ${othersAsked} asked elsewhere): ${current} → ${target}`
      })
    } else if (goneSince !== undefined && now - goneSince >= input.evictionTimeoutMs) {
      out.set(cluster, {
        replicas: target, target, action: 'evicted',
        reason: `cluster unavailable for ${now - goneSince} ms (eviction timeout ${input.evictionTimeoutMs} ms): ${current} → ${target} though only ${othersReady} of ${othersAsked} are ready elsewhere`
      })
    } else {
      out.set(cluster, {
        replicas: current, target, action: 'draining',
        reason: `keeping ${current} (asked ${target}) until the replacement is Ready: ${othersReady} of ${othersAsked} ready elsewhere`
      })
    }
  }
  return out
}
