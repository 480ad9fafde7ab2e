/**
 * Runs the invariants during and after a run: attaches to every site as it boots (its
 * store's announcements, its failure detector's transitions), samples ground truth and
 * connectivity every sampling period, walks the honest stores' logs incrementally, scans
 * what honest origins send, and at the end compares the honest replicas. It also keeps
 * the series the report draws (convergence lag per site, workloads short of ready
 * replicas) and writes a compact state digest into the trace at every log check.
 */
import { createVerifier } from '../../src/identity/keys.ts'
import type { WorkloadRecord } from '../../src/model/federation.ts'
import { digestOfHeads } from '../../src/replication/replicator.ts'
import { siteDocId } from '../../src/store/docs/index.ts'
import type { Site } from '../../src/site/site.ts'
import type { Needle } from '../../src/compliance/needles.ts'
import type { WorkloadBook, WorkloadSpec } from '../workload/generator.ts'
import type { SimSite, World } from '../runner/world.ts'
import { falseFailureViolation, gapViolation, heldBackByStabilisation, packWorkloads, recoveryViolation, type PackNode, type PackWorkload } from './availability.ts'
import { createConnectivity } from './connectivity.ts'
import { lagViolation, replicaDifferences, viewDigest, type ReplicaSnapshot } from './convergence.ts'
import { lostAcknowledgement, lostChanges } from './durability.ts'
import { createGroundTruth } from './ground-truth.ts'
import { createLeakScanner } from './leak-scan.ts'
import { bindingsOutside, outsideResidency, strongNeedles, type PlacedCluster, type ResidencyRule } from './residency.ts'
import { createEntryJudge, honestConvictions } from './safety.ts'
import { createViolationSink, type InvariantName, type InvariantResult, type ViolationSink } from './types.ts'

export const INVARIANT_CHECKS: Record<InvariantName, string> = {
  convergence: 'a change by an honest site reaches every honest site that stayed up and connected to its author within the lag bound; after the quiet tail all honest sites hold identical heads of every document and build identical views',
  safety: 'every entry of every honest store\'s log carries a valid ed25519 signature by the roster key of its document\'s writer, an actor derived from that key and its own hash; no honest site holds convicting evidence against another honest site',
  residency: 'no change in an honest log and no frame sent by an honest origin names a local-only record (key, uid, namespace/name, also inside Automerge chunks); no honest cluster holds, and no honest binding places, a workload outside its allowed regions or (local-only) outside its origin',
  availability: 'ground truth (cluster models): an honest stateless Deployment never drops from ready to none unless a cluster running it went dark, or a cluster of a Byzantine site ran it, within suspectMs + 2 ticks + 2 samples; one that was at its desired ready replicas since its user last changed it and fell short is back at them once no fault has started or ended for the bound, where capacity allows: the missing replicas of every short Deployment fit together, first-fit, into the room free now on Ready nodes of up, non-lying sites, leaving out room the placing sites still hold back for their stabilisation window; no honest site judges another honest site failed while both were up and connected for T_fail + 2 s',
  durability: 'after every restart the reopened store holds every change an earlier incarnation announced (announced only once durable), and every acknowledged putObject/deleteObject reads back at its generation or later'
}

export interface ReportSeries {
  /** Per site: [bucket start ms, largest arrival lag ms] of changes from honest authors. */
  lag: Record<string, Array<[number, number]>>
  /** [time ms, workloads below desired ready, workloads at zero ready] per second. */
  availability: Array<[number, number, number]>
}

export interface MonitorStats {
  logEntriesChecked: number
  changesTracked: number
  framesScanned: number
  /** Distinct Automerge chunks the residency scan decoded (each once per needle set). */
  chunksDecoded: number
  samples: number
}

export interface Monitor {
  readonly sink: ViolationSink
  start (): void
  /** Final checks; may run the engine a little further for changes still in flight. */
  finish (): Promise<void>
  results (): InvariantResult[]
  series (): ReportSeries
  stats (): MonitorStats
}

/** Changes whose leak verdict is remembered (cleared when full). */
const MAX_REMEMBERED_LEAK_SCANS = 200_000
const LAG_BUCKET_MS = 5_000

interface PendingChange { docId: string, hash: string, author: number, madeAtMs: number, missing: Set<number> }

export function createMonitor (world: World, book: WorkloadBook, liars: ReadonlySet<string>): Monitor {
  const { engine, options: o } = world
  const sink = createViolationSink(world.trace)
  const conn = createConnectivity(world)
  const truth = createGroundTruth(world)
  const judge = createEntryJudge(world.roster, createVerifier())
  const honest = world.sites.filter((s) => s.honest)
  const honestIds = new Set(honest.map((s) => s.id))
  const byzantineClusters = new Set(world.sites.filter((s) => !s.honest).flatMap((s) => s.clusters.map((c) => c.id)))
  const clusters = new Map<string, PlacedCluster>(world.sites.flatMap((s) => s.clusters.map((c) => [c.id, { id: c.id, site: s.id, region: s.region }] as const)))
  const stats: Omit<MonitorStats, 'chunksDecoded'> = { logEntriesChecked: 0, changesTracked: 0, framesScanned: 0, samples: 0 }
  const excuseMs = o.failover.suspectMs + 2 * o.tickMs + 2 * o.checks.sampleMs

  // per site index
  const checkedCount = world.sites.map(() => new Map<string, number>())
  const announced = world.sites.map(() => new Map<string, Set<string>>())
  const seenEvidence = new Set<string>()
  const pending = new Map<string, PendingChange>()
  const lagBuckets = world.sites.map(() => new Map<number, number>())
  const availabilitySeries: Array<[number, number, number]> = []
  const prevReady = new Map<string, number>()
  /** Per workload: the user's last change time at which it was last seen at desired ready replicas. */
  const reachedAt = new Map<string, number>()
  const lastReadyAt = new Map<string, Map<string, number>>()
  const lostAt = new Map<string, number>()
  const wasDark = new Map<string, boolean>()
  /** Per cluster: the last sample at which it had a NotReady node. */
  const lastDarkAt = new Map<string, number>()
  const reportedRecovery = new Set<string>()
  const reportedPlacement = new Set<string>()
  const scanner = createLeakScanner()
  const needlesBySite = new Map<string, Needle[]>()
  let allNeedles: Needle[] = []
  /**
   * Leaks found in each logged change (by document and hash: the same bytes at every site
   * holding it), against the current needles: every site's log is scanned, but each
   * change is searched once. Forgotten when the needles change.
   */
  const leaksByChange = new Map<string, string[]>()
  let leaksNeedles = ''

  const report = sink.report.bind(sink)

  function ruleOf (spec: WorkloadSpec): ResidencyRule {
    return { key: spec.key, origin: spec.origin, localOnly: spec.residency.kind === 'local-only', ...(spec.residencyRegions === undefined ? {} : { regions: spec.residencyRegions }) }
  }

  // ---- hooks ----------------------------------------------------------------

  function attach (s: SimSite, site: Site): void {
    checkedCount[s.index] = new Map()
    const ann = announced[s.index]!
    if (s.incarnation > 1) {
      for (const v of lostChanges({ site: s.id, announced: ann, holds: (d, h) => site.store.log(d)?.has(h) === true, timeMs: engine.nowMs() })) report(v)
      sink.checked('durability', [...ann.values()].reduce((n, x) => n + x.size, 0))
    }
    site.store.onChange((docId, entries, origin) => {
      let set = ann.get(docId)
      if (set === undefined) ann.set(docId, set = new Set())
      for (const e of entries) set.add(e.hash)
      if (origin === 'local') {
        const missing = new Set(honest.filter((h) => h.index !== s.index).map((h) => h.index))
        for (const e of entries) { pending.set(e.hash, { docId, hash: e.hash, author: s.index, madeAtMs: engine.nowMs(), missing: new Set(missing) }); stats.changesTracked++ }
      } else {
        for (const e of entries) {
          const p = pending.get(e.hash)
          if (p === undefined || !p.missing.delete(s.index)) continue
          const lag = engine.nowMs() - p.madeAtMs
          const bucket = Math.floor(engine.nowMs() / LAG_BUCKET_MS) * LAG_BUCKET_MS
          const b = lagBuckets[s.index]!
          b.set(bucket, Math.max(b.get(bucket) ?? 0, lag))
          if (p.missing.size === 0) pending.delete(e.hash)
        }
      }
    })
    site.liveness.onTransition((t) => {
      if (t.to !== 'failed') return
      const subject = world.siteById(t.siteId)
      if (subject === undefined || !subject.honest) return
      sink.checked('availability')
      const since = Math.max(conn.lastBreak(s.index, subject.index), s.upSinceMs, subject.upSinceMs)
      const v = falseFailureViolation({ observer: s.id, subject: subject.id, timeMs: engine.nowMs(), connectedSinceMs: since, failMs: o.failover.failMs })
      if (v !== undefined) report(v)
    })
  }

  function checkAcks (s: SimSite, site: Site): void {
    if (s.incarnation <= 1) return
    const acks = book.acks.get(s.id)
    if (acks === undefined) return
    for (const [key, ack] of [...acks].sort(([a], [b]) => a < b ? -1 : 1)) {
      sink.checked('durability')
      const rec = site.getRecord(key)
      const v = lostAcknowledgement({ site: s.id, key, generation: ack.generation, readBack: rec?.generation, timeMs: engine.nowMs() })
      if (v !== undefined) report(v)
    }
  }

  // ---- residency of what honest origins send ---------------------------------

  function refreshNeedles (): void {
    for (const s of honest) {
      if (s.site === undefined) continue
      const local = s.site.localWorkloads()
      if (local.length === 0) continue
      const records: WorkloadRecord[] = local.map((r) => ({ key: r.key, origin: s.id, residency: { kind: 'local-only' }, stateless: true, manifest: r.manifest, generation: r.generation, updatedAt: r.updatedAt }))
      const mine = strongNeedles(records)
      const known = needlesBySite.get(s.id) ?? []
      const merged = [...known]
      for (const n of mine) if (!merged.some((m) => m.text === n.text && m.kind === n.kind)) merged.push(n)
      needlesBySite.set(s.id, merged)
    }
    allNeedles = [...needlesBySite.values()].flat()
    scanner.setNeedles(allNeedles)
    const key = allNeedles.map((n) => `${n.kind}\0${n.text}`).join('\u0001')
    if (key !== leaksNeedles) { leaksNeedles = key; leaksByChange.clear() }
  }

  function installFrameScan (): void {
    for (const s of honest) {
      // The last payload found clean, with how many of the site's needles (its list only
      // grows): a broadcast goes out to every neighbour in a row, one buffer for all. The
      // buffer is kept only to compare identity, never read again (a broadcast payload is
      // never handed to a receiver, and a direct one is a fresh copy per send).
      let clean: { payload: Uint8Array, needles: number } | undefined
      world.fabric.observeOutbound(s.peer, (frame) => {
        const needles = needlesBySite.get(s.id)
        if (needles === undefined || needles.length === 0) return
        stats.framesScanned++
        if (clean !== undefined && clean.payload === frame.payload && clean.needles === needles.length) return
        const leaks = scanner.leaksIn(`frame ${s.id}→${frame.to}`, frame.payload, needles)
        if (leaks.length === 0) clean = { payload: frame.payload, needles: needles.length }
        if (leaks.length > 0) {
          report({ invariant: 'residency', rule: 'message', timeMs: engine.nowMs(), site: s.id, subject: leaks[0]!, message: `${s.id} sent a ${frame.kind} frame to ${world.siteByPeer(frame.to)?.id ?? frame.to} carrying ${leaks.join('; ')}` })
        }
      })
    }
  }

  // ---- periodic checks -----------------------------------------------------------

  function sample (): void {
    const t = engine.nowMs()
    stats.samples++
    conn.sample()
    // Clusters that went dark since the last sample excuse their recently ready workloads.
    for (const s of world.sites) {
      for (const c of s.clusters) {
        const dark = truth.dark(c)
        if (dark) lastDarkAt.set(c.id, t)
        if (dark && wasDark.get(c.id) !== true) {
          for (const [key, at] of lastReadyAt) {
            if ((at.get(c.id) ?? -Infinity) >= t - 2 * o.checks.sampleMs) lostAt.set(key, t)
          }
        }
        wasDark.set(c.id, dark)
      }
    }
    for (const key of truth.keys()) {
      const on = truth.readyOn(key)
      if (on.size === 0) continue
      let m = lastReadyAt.get(key)
      if (m === undefined) lastReadyAt.set(key, m = new Map())
      for (const c of on.keys()) m.set(c, t)
    }
    let below = 0
    let zero = 0
    const quietFault = world.timeline.lastFaultChangeMs()
    const shortfalls: Array<{ spec: WorkloadSpec, ready: number, quietSince: number }> = []
    for (const spec of book.specs.values()) {
      if (spec.deleted || !spec.acknowledged || !honestIds.has(spec.origin)) continue
      const ready = truth.ready(spec.key)
      const prev = prevReady.get(spec.key) ?? 0
      prevReady.set(spec.key, ready)
      sink.checked('availability')
      let byzantineReadyAtMs = -Infinity
      for (const [cid, at] of lastReadyAt.get(spec.key) ?? []) if (byzantineClusters.has(cid) && at > byzantineReadyAtMs) byzantineReadyAtMs = at
      const gap = gapViolation({ key: spec.key, previousReady: prev, ready, lostAtMs: lostAt.get(spec.key) ?? -Infinity, byzantineReadyAtMs, excuseMs, timeMs: t })
      if (gap !== undefined) report(gap)
      if (ready < spec.shape.replicas) below++
      else reachedAt.set(spec.key, spec.lastChangeMs)
      if (ready === 0) zero++
      const quietSince = Math.max(quietFault, spec.lastChangeMs)
      if (ready < spec.shape.replicas && reachedAt.get(spec.key) === spec.lastChangeMs && t - quietSince >= o.checks.availabilityBoundMs) shortfalls.push({ spec, ready, quietSince })
    }
    if (shortfalls.length > 0) checkRecovery(shortfalls, t)
    const second = Math.floor(t / 1000) * 1000
    const last = availabilitySeries[availabilitySeries.length - 1]
    if (last === undefined || last[0] !== second) availabilitySeries.push([second, below, zero])
  }

  /** Who places a workload now: its origin, or every honest survivor while the origin is down. */
  function placingSites (originId: string): SimSite[] {
    const origin = world.siteById(originId)
    if (origin !== undefined && origin.state === 'up') return [origin]
    return honest.filter((s) => s.state === 'up')
  }

  function heldBack (observer: SimSite, clusterId: string, clusterSite: string, t: number): boolean {
    const owner = world.siteById(clusterSite)
    if (owner === undefined) return false
    return heldBackByStabilisation({
      ownSite: owner.index === observer.index,
      lastBreakMs: conn.lastBreak(observer.index, owner.index),
      observerUpSinceMs: observer.upSinceMs,
      lastDarkMs: lastDarkAt.get(clusterId) ?? -Infinity,
      windowMs: o.failover.stabilizationMs + o.checks.availabilityBoundMs,
      timeMs: t
    })
  }

  function checkRecovery (shortfalls: Array<{ spec: WorkloadSpec, ready: number, quietSince: number }>, t: number): void {
    const fresh = shortfalls.filter((x) => !reportedRecovery.has(`${x.spec.key}@${x.quietSince}`))
    if (fresh.length === 0) return
    // Capacity allows it when the missing replicas of every short Deployment fit together
    // into the room free now, without moving anything that runs: under contention no
    // single workload is blamed for being the one left out.
    const usable: PackNode[] = []
    for (const s of world.sites) {
      if (s.state !== 'up' || s.lost || liars.has(s.id)) continue
      for (const c of s.clusters) for (const n of c.model.nodes()) if (n.ready) usable.push({ cluster: c.id, name: n.name, allocatable: n.free })
    }
    const pack: PackWorkload[] = []
    for (const spec of book.specs.values()) {
      if (spec.deleted) continue
      const missing = spec.shape.replicas - truth.ready(spec.key)
      if (missing <= 0) continue
      const regions = book.placementRegions(spec)
      const allowed = new Set<string>()
      const placers = placingSites(spec.origin)
      for (const [id, c] of clusters) {
        if (spec.residency.kind === 'local-only' && c.site !== spec.origin) continue
        if (regions !== undefined && !regions.includes(c.region)) continue
        if (placers.some((p) => heldBack(p, id, c.site, t))) continue
        allowed.add(id)
      }
      pack.push({ key: spec.key, replicas: missing, perReplica: spec.perReplica, clusters: allowed })
    }
    if (packWorkloads(pack, usable).size < pack.length) return
    for (const x of fresh) {
      const origin = world.siteById(x.spec.origin)
      const binding = origin?.site?.view().workloads.find((w) => w.key === x.spec.key)?.bindings.find((b) => b.decidedBy === x.spec.origin)
      if (binding !== undefined && binding.placement.some((a) => liars.has(clusters.get(a.cluster)?.site ?? ''))) continue
      const v = recoveryViolation({ key: x.spec.key, ready: x.ready, desired: x.spec.shape.replicas, reachedDesired: true, quietSinceMs: x.quietSince, boundMs: o.checks.availabilityBoundMs, timeMs: t })
      if (v !== undefined) { reportedRecovery.add(`${x.spec.key}@${x.quietSince}`); report(v) }
    }
  }

  function logCheck (): void {
    const t = engine.nowMs()
    refreshNeedles()
    for (const s of honest) {
      const site = s.site
      if (s.state !== 'up' || site === undefined) continue
      const counts = checkedCount[s.index]!
      for (const docId of site.store.documentIds()) {
        const log = site.store.log(docId)
        if (log === undefined) continue
        const done = counts.get(docId) ?? 0
        if (log.size() === done) continue
        let i = 0
        for (const hash of log.hashes()) {
          if (i++ < done) continue
          const entry = log.get(hash)
          if (entry === undefined) continue
          stats.logEntriesChecked++
          sink.checked('safety')
          const why = judge(docId, hash, entry.env)
          if (why !== undefined) report({ invariant: 'safety', rule: 'log', timeMs: t, site: s.id, subject: `${docId}/${hash.slice(0, 12)}`, message: `${s.id} accepted change ${hash.slice(0, 12)}… to ${docId}: ${why}` })
          if (allNeedles.length > 0) {
            const changeKey = `${docId}|${hash}`
            let leaks = leaksByChange.get(changeKey)
            if (leaks === undefined) {
              leaks = scanner.leaksIn(`change ${hash.slice(0, 12)}`, entry.env.change, allNeedles)
              if (leaksByChange.size >= MAX_REMEMBERED_LEAK_SCANS) leaksByChange.clear()
              leaksByChange.set(changeKey, leaks)
            }
            sink.checked('residency')
            if (leaks.length > 0) report({ invariant: 'residency', rule: 'log', timeMs: t, site: s.id, subject: `${docId}/${hash.slice(0, 12)}`, message: `${s.id} holds change ${hash.slice(0, 12)}… of ${docId} carrying ${leaks.join('; ')}` })
          }
        }
        counts.set(docId, log.size())
      }
      for (const v of honestConvictions(site.evidence().filter((e) => !seenEvidence.has(`${s.id}/${e.id}`)), honestIds, t)) report(v)
      for (const e of site.evidence()) seenEvidence.add(`${s.id}/${e.id}`)
    }
    checkLag(t)
    world.trace.record(t, 'state', {
      sites: world.sites.map((s) => [s.id, s.state, s.incarnation, s.site === undefined ? '' : digestOfHeads(s.site.store.heads(siteDocId(s.id)))])
    })
  }

  function checkLag (t: number): void {
    const bound = o.checks.convergenceLagMs
    for (const [hash, p] of pending) {
      if (t - p.madeAtMs <= bound) continue
      const author = world.sites[p.author]!
      for (const b of [...p.missing].sort((x, y) => x - y)) {
        const target = world.sites[b]!
        if (target.site?.store.log(p.docId)?.has(hash) === true) { p.missing.delete(b); continue }
        sink.checked('convergence')
        const v = lagViolation({
          docId: p.docId, hash, author: author.id, site: target.id, madeAtMs: p.madeAtMs,
          connectedSinceMs: conn.lastBreak(p.author, b), upSinceMs: Math.max(author.upSinceMs, target.upSinceMs), boundMs: bound, timeMs: t
        })
        if (v !== undefined) report(v)
        p.missing.delete(b)
      }
      if (p.missing.size === 0 || t - p.madeAtMs > 10 * bound) pending.delete(hash)
    }
  }

  // ---- final ---------------------------------------------------------------------

  function snapshots (): ReplicaSnapshot[] {
    return honest.filter((s) => s.state === 'up' && s.site !== undefined).map((s) => {
      const site = s.site!
      const heads = new Map<string, readonly string[]>()
      for (const d of site.store.documentIds()) heads.set(d, site.store.heads(d))
      return { site: s.id, heads, viewDigest: viewDigest(site.view()) }
    })
  }

  async function finalConvergence (): Promise<void> {
    const deadline = engine.nowMs() + o.checks.convergenceLagMs
    let diffs = replicaDifferences(snapshots(), engine.nowMs())
    while (diffs.length > 0 && engine.nowMs() < deadline) {
      await engine.runFor(1_000)
      diffs = replicaDifferences(snapshots(), engine.nowMs())
    }
    sink.checked('convergence', honest.length)
    for (const v of diffs) report(v)
  }

  function finalBindings (): void {
    const t = engine.nowMs()
    for (const s of honest) {
      const site = s.site
      if (site === undefined) continue
      for (const w of site.view().workloads) {
        const spec = book.specs.get(w.key)
        if (spec === undefined) continue
        sink.checked('residency')
        for (const v of bindingsOutside(w.bindings.filter((b) => b.decidedBy === s.id), ruleOf(spec), clusters, t)) report(v)
      }
    }
  }

  return {
    sink,
    start () {
      world.addHooks({
        created (s, site) { if (s.honest) attach(s, site) },
        up (s, site) { if (s.honest) checkAcks(s, site) }
      })
      truth.onPlaced((e) => {
        if (!e.cluster.siteId || !honestIds.has(e.cluster.siteId)) return
        const spec = book.specs.get(e.key)
        if (spec === undefined) return
        sink.checked('residency')
        const why = outsideResidency(ruleOf(spec), { id: e.cluster.id, site: e.cluster.siteId, region: e.cluster.region })
        const id = `${e.key}@${e.cluster.id}`
        if (why !== undefined && !reportedPlacement.has(id)) {
          reportedPlacement.add(id)
          report({ invariant: 'residency', rule: 'placement', timeMs: engine.nowMs(), site: e.cluster.siteId, subject: e.key, message: `${e.cluster.id} holds a ${e.kind} of a workload outside its residency: ${why}` })
        }
      })
      installFrameScan()
      const every = (ms: number, fn: () => void): void => {
        const tick = (): void => { fn(); engine.setTimer(ms, tick) }
        engine.setTimer(ms, tick)
      }
      every(o.checks.sampleMs, sample)
      every(o.checks.logCheckMs, logCheck)
    },
    async finish () {
      logCheck()
      await finalConvergence()
      logCheck()
      finalBindings()
    },
    results: () => sink.results(INVARIANT_CHECKS),
    series () {
      const lag: Record<string, Array<[number, number]>> = {}
      for (const s of world.sites) lag[s.id] = [...lagBuckets[s.index]!].sort(([a], [b]) => a - b)
      return { lag, availability: availabilitySeries }
    },
    stats: () => ({ ...stats, chunksDecoded: scanner.stats().decoded })
  }
}
