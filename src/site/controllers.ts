/**
 * The controllers of one site, run as one tick over the global view: report this site's
 * clusters and the share status of what runs on them; as origin, keep each workload's
 * binding (sticky, rewritten only on triggers); for every workload, derive the effective
 * placement from the origin binding and this site's own failure observations, then the
 * shares its own clusters run, with graceful eviction; render those objects with their
 * overrides for each cluster. A tick returns the document writes it decided (the site
 * commits them as one change) and the events to record; `applyDesired` then hands each
 * cluster driver its desired objects. Local-only workloads are placed like any other but
 * nothing naming them is ever written to the replicated document.
 */
import type { Binding, ClusterAssignment, ClusterId, ClusterRecord, RedactedStub, ShareStatus, SiteId, WorkloadRecord } from '../model/federation.ts'
import { clusterId } from '../model/federation.ts'
import type { GlobalView } from '../model/view.ts'
import type { Clock } from '../ports/clock.ts'
import type { ClusterDriver, DesiredObject } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import { canonicalDigest } from '../store/docs/canonical-json.ts'
import {
  deleteBinding, deleteShare, putBinding, putCluster, putShare, putStub, type NewEvent, type SiteDoc
} from '../store/docs/index.ts'
import { formatExplanation, selectPolicy, type PolicySet } from '../schedule/index.ts'
import {
  clusterAvailability, differsFrom, effectivePlacement, migrationEvents, originBinding, originBindingOf, originGrace, ownShares, placementBehind,
  preparePlacementContext, sortAssignments, trackAvailability, type ActedRecord, type AvailabilityMemory, type EffectivePlacement,
  type OriginTrigger, type PlacementContext
} from '../controllers/decisions/index.ts'
import { clusterRecordFrom, shareStatusesFrom, type ClusterSettings, type HealthMemory } from '../controllers/cluster-status.ts'
import type { FailoverSettings } from './site.ts'
import type { EffectivePlacement as PlacementSummary } from './site-handle.ts'
import { sameRecord } from './same-record.ts'
import { createDesiredRenderer, withNamespaces } from './desired-render.ts'
import { createShareBasis } from './share-basis.ts'
import { createHandBacks } from './hand-backs.ts'
import { clusterHealthEvent, initiallyDown } from './cluster-events.ts'

const NOTHING: ReadonlyMap<ClusterId, number> = new Map()

export interface ControllersOptions {
  siteId: SiteId
  clock: Clock
  logger: Logger
  clusters: ReadonlyArray<{ settings: ClusterSettings, driver: ClusterDriver }>
  failover: FailoverSettings
  /** Sites failed or recovering per this site's failure detector. */
  unavailableSites: () => ReadonlySet<SiteId>
  /** Sites this site's failure detector holds alive (their Ready reports are trusted). */
  aliveSites: () => ReadonlySet<SiteId>
  /**
   * Sites this site caught in a provably dishonest act (a forged signature, a change
   * under another key's actor, an equivocation): their Ready reports release none of
   * this site's replicas.
   */
  provenOffenders?: () => ReadonlySet<SiteId>
  /** Whether the failure detector has judged every roster member once (no decisions on ignorance). */
  settled: () => boolean
  /** This site's local-only workloads (never replicated). */
  localWorkloads: () => readonly WorkloadRecord[]
  /** The redacted stub of a local-only workload, counted against the cluster it runs on. */
  stubFor: (rec: WorkloadRecord, cluster: ClusterId | undefined) => RedactedStub
  /**
   * The share statuses this site's document holds (read once, at the first tick): after a
   * restart, shares of workloads deleted meanwhile are in no view to be cleaned up from.
   */
  sharesInDocument?: () => ReadonlyArray<{ workload: string, cluster: ClusterId }>
}

export type DocWrite = (d: SiteDoc) => unknown

export interface TickOutcome {
  writes: DocWrite[]
  events: NewEvent[]
  /** New placements of this site's local-only workloads, for the local store (never the document). */
  localBindings: Binding[]
  /**
   * The earliest monotonic time at which a decision of this tick could change with no new
   * input — a failure threshold, a stabilisation window or an eviction timeout running
   * out — or undefined if none is pending. Anything else that changes a decision (a
   * document, a cluster observation, a liveness transition) asks for a tick itself.
   */
  wakeAt: number | undefined
}

export interface Controllers {
  start (): Promise<void>
  stop (): Promise<void>
  tick (view: GlobalView): TickOutcome
  /** The placements of local-only workloads this site kept in its local store before a restart. */
  restoreLocalBindings (bindings: readonly Binding[]): void
  /** Hands every cluster its desired objects (only when they changed). */
  applyDesired (): void
  onChange (listener: () => void): () => void
  placement (key: string): PlacementSummary | undefined
  explain (view: GlobalView, key: string): string | undefined
  /** One line per degraded workload, for alarms. */
  degraded (): string[]
  /** The share status of a local-only workload on this site's clusters, as of the last tick. */
  localShares (key: string): ShareStatus[]
  counters (): { placements: number, migrations: number, failbacks: number, ticks: number }
}

export function createControllers (options: ControllersOptions): Controllers {
  const { siteId, clock, logger } = options
  const shareBasis = createShareBasis()
  const health = new Map<string, HealthMemory>()
  const startedAt = clock.monotonicMs()
  let availability: AvailabilityMemory = new Map()
  let previousNow: number | undefined
  let previous = new Map<string, EffectivePlacement>()
  /** Per workload, the previous placement its last decision started from (what `explain` recomputes from). */
  let startedFrom = new Map<string, readonly ClusterAssignment[]>()
  /**
   * Replicas this site runs per workload per own cluster (its last decision), for the
   * clusters it has declared a desired set to; what the others run is what their drivers
   * found there (`currentOf`).
   */
  let running = new Map<string, Map<ClusterId, number>>()
  /** Policy signature per workload at the origin's last binding write. */
  const policySigs = new Map<string, string>()
  /**
   * Origin bindings of this site's local-only workloads. They are never written to the
   * replicated document, so they are kept here (and in the local store, through
   * `TickOutcome.localBindings`); without them every tick — or the first after a restart —
   * would see "no binding yet" and re-place the workload on the current free capacity,
   * which its own replicas hold: a share that flips, or shrinks, on every cluster change.
   */
  const localBindings = new Map<string, Binding>()
  /**
   * Since when (monotonic) this site has seen each workload generation of another origin
   * without that origin's binding for it: the start of the origin's grace (`originGrace`).
   */
  let unbound = new Map<string, { generation: number, since: number }>()
  const originGraceMs = options.failover.originGraceMs ?? options.failover.failMs
  const desired = new Map<string, DesiredObject[]>()
  /** Digest of the desired set last declared per own cluster; a cluster is absent until its first. */
  const applied = new Map<string, string>()
  /** Per tick: what each own cluster not yet declared to runs (its driver's found objects). */
  let found = new Map<ClusterId, ReadonlyMap<string, { desired: number }>>()
  let lastContext: PlacementContext | undefined
  /** What this site's clusters report of its local-only workloads (never written to the document). */
  let localShares = new Map<string, ShareStatus[]>()
  const policySetCache = new Map<string, PolicySet>()
  let degradedLines: string[] = []
  const counts = { placements: 0, migrations: 0, failbacks: 0, ticks: 0 }
  const listeners = new Set<() => void>()
  const unsubscribers: Array<() => void> = []
  const own = new Map(options.clusters.map((c) => [clusterId(siteId, c.settings.name), c]))
  const handBacks = createHandBacks((cluster) => own.has(cluster))
  /**
   * Own-cluster shares the document held or was given by the last tick, per workload:
   * a workload deleted at its origin leaves the view, and with it the shares that would
   * otherwise be cleaned up there (undefined until the first tick reads the document).
   */
  let sharesLastTick: Map<string, Set<ClusterId>> | undefined
  /** Per own cluster, whether a `cluster-not-ready` event is open (cluster-events.ts). */
  const clustersDown = new Map<ClusterId, boolean>()

  const renderer = createDesiredRenderer(logger)

  function tick (view: GlobalView): TickOutcome {
    const now = clock.monotonicMs()
    const wall = clock.wallMs()
    counts.ticks++
    const writes: DocWrite[] = []
    const events: NewEvent[] = []
    const newLocalBindings: Binding[] = []
    const local = options.localWorkloads()
    const localKeys = new Set(local.map((w) => w.key))

    // 1. This site's clusters and the share status of what runs on them. Only shares of
    // replicated workloads are reported: objects of a local-only workload that was just
    // deleted (or turned local-only) still run for a while, and their status would name it.
    const replicated = new Set(view.workloads.map((w) => w.key))
    // What the document already holds (the view is fresh from it): an unchanged record is
    // not written again, which spares the tick reading every field back through Automerge.
    const heldClusters = new Map<ClusterId, ClusterRecord>(view.clusters.filter((c) => own.has(c.id)).map((c) => [c.id, c]))
    const heldShares = new Map<string, GlobalView['workloads'][number]['shares'][number]>()
    for (const w of view.workloads) for (const sh of w.shares) if (own.has(sh.cluster)) heldShares.set(`${sh.workload}|${sh.cluster}`, sh)
    const sharesNow = sharesByWorkload([...heldShares.values()])
    const heldStubs = new Map<string, RedactedStub>()
    if (local.length > 0) for (const st of view.stubs) if (st.origin === siteId) heldStubs.set(st.id, st)
    const ownRecords = new Map<ClusterId, ClusterRecord>()
    const nextLocalShares = new Map<string, ShareStatus[]>()
    let unheard = false
    let wakeAt: number | undefined
    const wakeBy = (at: number): void => { if (at > now && (wakeAt === undefined || at < wakeAt)) wakeAt = at }
    found = new Map()
    for (const [id, c] of own) {
      const obs = c.driver.observe()
      if (!applied.has(id)) found.set(id, obs.objects)
      // Until its driver has listed what the cluster holds (after a restart: replicas the
      // site may have moved away while it was down, which must stay until their
      // replacements are Ready), what runs there is unknown: decide nothing yet. After
      // the failure threshold the cluster is judged as usual; it is still declared to only
      // once listed (applyDesired).
      if (!obs.listed && now - startedAt < c.settings.failureThresholdMs) {
        unheard = true
        wakeBy(startedAt + c.settings.failureThresholdMs)
      }
      // A silent cluster API turns the cluster NotReady when its threshold runs out.
      if (!obs.reachable && obs.lastContactMs !== undefined) wakeBy(obs.lastContactMs + c.settings.failureThresholdMs)
      // A driver that has not reached its cluster yet since this process started says
      // nothing about it: keep the record the document holds (from before a restart)
      // instead of reporting it Unknown, which every observer would take for an outage and
      // answer with a failover and a stabilisation window. Nothing is decided meanwhile;
      // after the failure threshold the cluster is judged as usual.
      if (obs.lastContactMs === undefined && !obs.reachable && heldClusters.has(id) && now - startedAt < c.settings.failureThresholdMs) {
        unheard = true
        continue
      }
      const rec = clusterRecordFrom(siteId, c.settings, obs, health.get(c.settings.name), now, wall, startedAt)
      health.set(c.settings.name, { health: rec.health, sinceWall: rec.healthSince })
      ownRecords.set(id, rec)
      const held = heldClusters.get(id)
      if (!sameRecord(held, rec)) writes.push((d) => putCluster(d, rec))
      // A change of health is an event, written with the record in this tick's one change.
      const step = clusterHealthEvent({
        previous: held?.health, ...(held === undefined ? {} : { previousSince: held.healthSince }),
        next: rec, down: clustersDown.get(id) ?? initiallyDown(held?.health), at: wall
      })
      clustersDown.set(id, step.down)
      if (step.event !== undefined) events.push(step.event)
      const reported = new Set<string>()
      for (const s of shareStatusesFrom(siteId, c.settings.name, obs)) {
        // Under the plan its replicas were last declared for: with no decision since this
        // site started, the plan its last report named (the replicas run on unchanged, and
        // a restarted survivor restores its failover by it: `restoredDecision`).
        const decided = previous.get(s.workload)
        const basis = decided !== undefined ? shareBasis(decided) : heldShares.get(`${s.workload}|${s.cluster}`)?.basis
        if (basis !== undefined) s.basis = basis
        if (localKeys.has(s.workload)) {
          let list = nextLocalShares.get(s.workload)
          if (list === undefined) nextLocalShares.set(s.workload, list = [])
          list.push(s)
          continue
        }
        if (!replicated.has(s.workload)) continue
        reported.add(s.workload)
        if (!sameRecord(heldShares.get(`${s.workload}|${s.cluster}`), s)) writes.push((d) => putShare(d, s))
      }
      for (const w of view.workloads) {
        if (w.shares.some((s) => s.cluster === id) && !reported.has(w.key)) writes.push((d) => deleteShare(d, w.key, id))
      }
      for (const key of reported) sharesNow.set(key, (sharesNow.get(key) ?? new Set()).add(id))
    }
    for (const [key, clusters] of sharesLastTick ?? sharesByWorkload(options.sharesInDocument?.() ?? [])) {
      if (replicated.has(key)) continue
      for (const cid of clusters) if (own.has(cid)) writes.push((d) => deleteShare(d, key, cid))
    }
    sharesLastTick = sharesNow
    const clusters = [...view.clusters.filter((c) => !ownRecords.has(c.id)), ...ownRecords.values()].sort((a, b) => a.id < b.id ? -1 : 1)
    localShares = nextLocalShares

    // Until the failure detector has judged everyone and every own cluster has been
    // heard from, nothing is moved on ignorance: report, but keep running what runs.
    if (!options.settled() || unheard) {
      previousNow = now
      return { writes, events, localBindings: newLocalBindings, wakeAt: now }
    }

    // 2. Which clusters this site can use.
    const unavailableSites = options.unavailableSites()
    availability = trackAvailability(availability, clusters, unavailableSites, now)
    const av = clusterAvailability({ clusters, unavailableSites, memory: availability, now, stabilizationMs: options.failover.stabilizationMs })
    const settings = { failback: options.failover.failback, stabilizationMs: options.failover.stabilizationMs, evictionTimeoutMs: options.failover.evictionTimeoutMs }
    if (policySetCache.size > 4 * (view.sites.length + 1)) policySetCache.clear()
    const context = preparePlacementContext({ clusters, policies: view.policies, availability: av, settings, policySetCache })
    lastContext = context
    const alive = options.aliveSites()
    const offenders = options.provenOffenders?.()
    const trusted = new Set([siteId, ...(offenders === undefined || offenders.size === 0 ? alive : [...alive].filter((s) => !offenders.has(s)))])
    const nextUnbound = new Map<string, { generation: number, since: number }>()
    // Only bindings carry it, and few ticks write one.
    let heads: string | undefined
    const viewHeads = (): string => (heads ??= canonicalDigest(view.sites.map((s) => [s.id, s.heads])))

    // 3. Placement of every workload: the replicated ones and this site's local-only ones.
    const next = new Map<string, EffectivePlacement>()
    const nextStartedFrom = new Map<string, readonly ClusterAssignment[]>()
    const nextRunning = new Map<string, Map<ClusterId, number>>()
    const perCluster = new Map<ClusterId, DesiredObject[]>()
    renderer.beginTick(view)
    const workloads: Array<{ w: WorkloadRecord, bindings: readonly Binding[], shares: GlobalView['workloads'][number]['shares'], local: boolean }> = [
      ...view.workloads.map((w) => ({ w, bindings: w.bindings, shares: w.shares, local: false })),
      ...local.map((w) => {
        const kept = localBindings.get(w.key)
        return { w, bindings: kept === undefined ? [] : [kept], shares: [] as GlobalView['workloads'][number]['shares'], local: true }
      })
    ]
    for (const key of [...localBindings.keys()]) if (!localKeys.has(key)) localBindings.delete(key)
    const degraded: string[] = []
    /** This site's own fail-backs as origin: its effective placement stays `origin` throughout, so they are named here. */
    const originFailbacks = new Map<string, string>()
    for (const { w, bindings, shares, local: isLocal } of workloads) {
      let origin = originBindingOf(w, bindings)
      if (w.origin === siteId) {
        const policy = selectPolicy(context.policiesFor(siteId), w.manifest).policy
        const sig = policy === undefined ? '' : `${policy.key}@${view.policies.find((p) => p.key === policy.key && p.origin === siteId)?.generation ?? 0}`
        const known = policySigs.get(w.key)
        const policyChanged = origin !== undefined && (known !== undefined ? known !== sig : (origin.policy ?? '') !== (policy?.key ?? ''))
        // A cluster's owner alone writes its shares, and could as well lie about its free room.
        const decision = originBinding({ context, workload: w, ...(origin !== undefined ? { current: origin } : {}), policyChanged, ...(previousNow !== undefined ? { previousNow } : {}), shares })
        if (decision.write) {
          const binding: Binding = {
            workload: w.key, placement: decision.placement, decidedBy: siteId, generation: w.generation,
            inputHeads: viewHeads(), reason: bindingReason(decision.trigger), decidedAt: wall,
            ...(decision.policy !== undefined ? { policy: decision.policy } : {}),
            ...(decision.degraded !== undefined ? { degraded: decision.degraded } : {}),
            ...(decision.avoided !== undefined ? { avoided: decision.avoided } : {})
          }
          if (decision.failbackCause !== undefined) originFailbacks.set(w.key, decision.failbackCause)
          if (isLocal) {
            localBindings.set(w.key, binding)
            newLocalBindings.push(binding)
          } else writes.push((d) => putBinding(d, binding))
          counts.placements++
          origin = binding
          policySigs.set(w.key, sig)
        } else if (known === undefined) {
          policySigs.set(w.key, sig)
        }
      }
      const prev = previous.get(w.key)
      if (!isLocal) {
        const seen = unbound.get(w.key)
        const since = seen !== undefined && seen.generation === w.generation ? seen.since : now
        const grace = originGrace({ observer: siteId, workload: w, originBinding: origin, originAlive: alive.has(w.origin), unboundSince: since, now, graceMs: originGraceMs })
        if (grace.unbound) nextUnbound.set(w.key, { generation: w.generation, since })
        if (grace.wait) {
          // The origin is about to bind it: keep running what runs, decide and write nothing.
          wakeBy(grace.until)
          if (prev !== undefined) next.set(w.key, prev)
          const from = startedFrom.get(w.key)
          if (from !== undefined) nextStartedFrom.set(w.key, from)
          const mine = new Map<ClusterId, number>()
          for (const [cid, replicas] of currentOf(w.key)) {
            const rec = ownRecords.get(cid)
            if (rec === undefined || replicas <= 0) continue
            mine.set(cid, replicas)
            let list = perCluster.get(cid)
            if (list === undefined) perCluster.set(cid, list = [])
            list.push(renderer.render(w, rec, replicas))
          }
          if (mine.size > 0) nextRunning.set(w.key, mine)
          continue
        }
      }
      const acted = prev === undefined && !isLocal && w.origin !== siteId ? actedRecord(bindings, shares, origin) : undefined
      if (prev !== undefined) nextStartedFrom.set(w.key, prev.assignments)
      const eff = effectivePlacement({
        context, workload: w, ...(origin !== undefined ? { originBinding: origin } : {}), ...(prev !== undefined ? { previous: prev } : {}), ...(acted !== undefined ? { acted } : {})
      })
      next.set(w.key, eff)
      if (eff.degraded !== undefined) degraded.push(`${w.key}: ${eff.degraded}`)

      const current = currentOf(w.key)
      const basis = shareBasis(eff)
      const shareMap = ownShares({
        site: siteId, effective: handBacks.assignments(w.key, prev, eff, now), current, shares, availability: av, trustedSites: trusted, now,
        evictionTimeoutMs: options.failover.evictionTimeoutMs, ...(basis !== undefined ? { basis } : {})
      })
      const mine = new Map<ClusterId, number>()
      for (const [cid, share] of shareMap) {
        if (share.replicas <= 0) continue
        const rec = ownRecords.get(cid)
        if (rec === undefined) continue
        mine.set(cid, share.replicas)
        let list = perCluster.get(cid)
        if (list === undefined) perCluster.set(cid, list = [])
        list.push(renderer.render(w, rec, share.replicas))
      }
      if (mine.size > 0) nextRunning.set(w.key, mine)

      // What this site acts on, for audit and for the others' view: only where it
      // departs from the origin binding, and never for a local-only workload.
      if (!isLocal && w.origin !== siteId) {
        const mineBinding = bindings.find((b) => b.decidedBy === siteId)
        if (eff.mode !== 'origin' && (mine.size > 0 || eff.assignments.some((a) => own.has(a.cluster)))) {
          const acting: Binding = {
            workload: w.key, placement: eff.assignments, decidedBy: siteId, generation: eff.generation,
            inputHeads: viewHeads(), reason: eff.mode, decidedAt: wall,
            ...(eff.policy !== undefined ? { policy: eff.policy } : {}), ...(eff.degraded !== undefined ? { degraded: eff.degraded } : {})
          }
          if (mineBinding === undefined || mineBinding.reason !== acting.reason || !sameRecord(mineBinding.placement, acting.placement) || mineBinding.degraded !== acting.degraded) {
            writes.push((d) => putBinding(d, acting))
          }
        } else if (mineBinding !== undefined) {
          writes.push((d) => deleteBinding(d, w.key))
        }
      }
      if (isLocal) {
        const first = [...mine.keys()].sort()[0]
        const stub = options.stubFor(w, first)
        if (!sameRecord(heldStubs.get(stub.id), stub)) writes.push((d) => putStub(d, stub))
      }
    }
    // Bindings this site wrote for workloads that are gone.
    const liveKeys = new Set(view.workloads.map((w) => w.key))
    for (const key of previous.keys()) {
      if (!liveKeys.has(key) && !localKeys.has(key)) writes.push((d) => deleteBinding(d, key))
    }

    for (const e of migrationEvents(filterReplicated(previous, localKeys), filterReplicated(next, localKeys), wall, av, originFailbacks)) {
      events.push(e)
      if (e.kind === 'migration') counts.migrations += e.moved?.length ?? 1
      if (e.kind === 'failback') counts.failbacks += e.moved?.length ?? 1
    }
    handBacks.retain(next)
    renderer.endTick()
    unbound = nextUnbound
    previous = next
    startedFrom = nextStartedFrom
    running = nextRunning
    previousNow = now
    degradedLines = degraded.sort()
    for (const id of own.keys()) desired.set(id, withNamespaces(perCluster.get(id) ?? []))
    // Every window a decision compares against runs from a transition this observer
    // remembers (availability records, hand-backs): wake when one of them ends.
    const windows = new Set([options.failover.stabilizationMs, options.failover.evictionTimeoutMs])
    for (const e of next.values()) windows.add(e.failback.windowMs)
    for (const rec of availability.values()) for (const w of windows) wakeBy(rec.since + w)
    for (const since of handBacks.startedAt()) for (const w of windows) wakeBy(since + w)
    return { writes, events, localBindings: newLocalBindings, wakeAt }
  }

  /**
   * What this site recorded it acted on for a workload it has no decision for yet (it
   * restarted): its own acting binding, and whether the shares it reports name the
   * current origin binding as their plan (`restoredDecision`).
   */
  function actedRecord (bindings: readonly Binding[], shares: GlobalView['workloads'][number]['shares'], origin: Binding | undefined): ActedRecord | undefined {
    const binding = bindings.find((b) => b.decidedBy === siteId)
    if (binding === undefined) return undefined
    const mine = shares.filter((s) => own.has(s.cluster))
    const current = origin === undefined ? undefined : shareBasis({ base: { decidedBy: origin.decidedBy, generation: origin.generation, assignments: sortAssignments(origin.placement) } })
    return { binding, underCurrentBase: current !== undefined && mine.length > 0 && mine.every((s) => s.basis === current) }
  }

  /**
   * What this site's clusters run of a workload: its last decision where it has declared
   * one, and where it has not yet (after a restart) what the driver found there.
   */
  function currentOf (key: string): ReadonlyMap<ClusterId, number> {
    const decided = running.get(key)
    if (found.size === 0) return decided ?? NOTHING
    const out = new Map<ClusterId, number>()
    for (const id of own.keys()) {
      const o = found.get(id)
      const replicas = o === undefined ? decided?.get(id) : o.get(key)?.desired
      if (replicas !== undefined && replicas > 0) out.set(id, replicas)
    }
    return out
  }

  return {
    async start () {
      for (const c of options.clusters) {
        unsubscribers.push(c.driver.onChange(() => { for (const l of listeners) l() }))
        await c.driver.start()
      }
    },
    async stop () {
      for (const u of unsubscribers.splice(0)) u()
      for (const c of options.clusters) await c.driver.stop()
    },
    tick,
    restoreLocalBindings (bindings) {
      for (const b of bindings) if (b.decidedBy === siteId) localBindings.set(b.workload, b)
    },
    applyDesired () {
      for (const [id, c] of own) {
        const objects = desired.get(id)
        // A first desired set prunes every owned object it leaves out: only once listed.
        if (objects === undefined || (!applied.has(id) && !c.driver.observe().listed)) continue
        const digest = renderer.digest(objects)
        if (applied.get(id) === digest) continue
        applied.set(id, digest)
        c.driver.setDesired(objects)
      }
    },
    onChange (l) { listeners.add(l); return () => { listeners.delete(l) } },
    placement (key) {
      const e = previous.get(key)
      if (e === undefined) return undefined
      return { assignments: e.assignments, mode: e.mode, reason: e.reason, ...(e.degraded !== undefined ? { degraded: e.degraded } : {}) }
    },
    explain (view, key) {
      const replicated = view.workloads.find((x) => x.key === key)
      const w = replicated ?? options.localWorkloads().find((x) => x.key === key)
      if (w === undefined || lastContext === undefined) return undefined
      const eff = previous.get(key)
      const from = startedFrom.get(key)
      // The decision the controller ran, with its inputs: the shares the tick gave the origin
      // (none for a local-only workload), this site's effective placement and what it started from.
      const decision = placementBehind({
        context: lastContext, workload: w, shares: replicated?.shares ?? [],
        ...(eff !== undefined ? { effective: eff } : {}), ...(from !== undefined ? { previous: from } : {})
      })
      const lines = [formatExplanation(decision)]
      const binding = replicated !== undefined ? originBindingOf(w, replicated.bindings) : localBindings.get(key)
      if (binding !== undefined) {
        lines.push('', `origin binding by ${binding.decidedBy} for generation ${binding.generation} (${binding.reason}): ${binding.placement.map((a) => `${a.cluster}=${a.replicas}`).join(', ') || '(none)'}`)
        // A binding is sticky: rewritten only on a trigger, so the view may have moved on since.
        const differs = eff?.mode === 'failover' || eff?.mode === 'computed' ? undefined : differsFrom(decision, binding.placement)
        if (differs !== undefined) lines.push(`  the binding is kept until a trigger rewrites it (new generation, policy change, failover, fail-back, more room for a short placement); ${differs}`)
      }
      if (eff !== undefined) {
        lines.push('', `effective placement at ${siteId}: ${eff.assignments.map((a: ClusterAssignment) => `${a.cluster}=${a.replicas}`).join(', ') || '(none)'}`,
          `  mode: ${eff.mode} — ${eff.reason}`)
        if (eff.degraded !== undefined) lines.push(`  degraded: ${eff.degraded}`)
        for (const d of eff.displaced) lines.push(`  avoided ${d.cluster} (${d.replicas} replicas): ${d.state}, ${d.reason}`)
        const differs = eff.mode === 'failover' || eff.mode === 'computed' ? differsFrom(decision, eff.assignments) : undefined
        if (differs !== undefined) lines.push(`  this placement was kept from an earlier decision; ${differs}`)
      }
      return lines.join('\n')
    },
    degraded: () => degradedLines,
    localShares: (key) => localShares.get(key) ?? [],
    counters: () => ({ ...counts })
  }
}

/**
 * The reason a binding carries in the document: a short code (the origin's trigger, or the
 * acting site's mode), not the decision's prose. Every site stores and applies every
 * binding; the prose, which `explain` gives, would make each one several times larger
 * and, as it quotes capacity, rewrite it when nothing was decided differently.
 */
function bindingReason (trigger: OriginTrigger | undefined): string {
  return trigger ?? 'kept'
}

function filterReplicated (m: ReadonlyMap<string, EffectivePlacement>, localKeys: ReadonlySet<string>): Map<string, EffectivePlacement> {
  return new Map([...m].filter(([k]) => !localKeys.has(k)))
}

function sharesByWorkload (shares: ReadonlyArray<{ workload: string, cluster: ClusterId }>): Map<string, Set<ClusterId>> {
  const out = new Map<string, Set<ClusterId>>()
  for (const s of shares) {
    let set = out.get(s.workload)
    if (set === undefined) out.set(s.workload, set = new Set())
    set.add(s.cluster)
  }
  return out
}
