/**
 * One seeded site-loss run, measured: the real site core in virtual time (sim/run.ts),
 * one site and its clusters lost at a seeded moment, the site back after `downMs`, and
 * the run going on through fail-back. Everything is read from ground truth — the
 * cluster models' Deployments — and the surviving sites' failure detectors:
 *
 * - for each stateless workload the lost site's clusters ran, the first instant before
 *   the site returns that its Ready replicas on the *other* clusters reach its desired
 *   count (`readyAtMs`), with the detection, start and Ready instants that explain it;
 *   one that has not by then is `unrecovered` if the survivors' free room could hold
 *   its missing replicas, else excluded as `no-capacity`;
 * - every `sampleMs` from the crash to the end, the migrated workloads at zero Ready
 *   replicas: `zeroReady` counts those that had had a Ready replica since the crash
 *   (a gap the core could have avoided), `inherentZero` those whose every replica was on
 *   the lost site and whose replacement is not Ready yet (no decision can avoid those).
 *
 * The run uses the site-loss scenario's federation (4 sites in 2 regions, links 1–5 ms
 * within a region and 50–150 ms across, one cluster a site whose pods turn Ready 1–3 s
 * after they start) and the simulator's workload mix, with no user changes.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import type { WorkloadRecord } from '../../src/model/federation.ts'
import { desiredReplicas, isStatelessObject } from '../../src/model/kube.ts'
import { RESOURCE_KEYS, type Resources } from '../../src/model/resources.ts'
import type { PropagationSpec } from '../../src/model/policy.ts'
import { perReplicaResources } from '../../src/schedule/fit.ts'
import { preparePolicies, selectPolicy } from '../../src/schedule/index.ts'
import type { Site } from '../../src/site/site.ts'
import type { InjectedBug } from '../../src/testing/injected-bugs.ts'
import { runScenario } from '../run.ts'
import type { ScenarioInput } from '../runner/options.ts'
import type { SimSite, World } from '../runner/world.ts'
import { siteLoss } from '../scenarios/site-loss.ts'
import { withScenario } from '../scenarios/index.ts'
import { createReplicaLedger, type ReplicaLedger } from './replica-ledger.ts'

export interface FailoverRunOptions {
  seed: number
  /** The site lost (`s1`); default drawn from the seed among all sites. */
  site?: string
  /** True virtual ms of the loss; default 30 s plus a seeded offset within one heartbeat period, so losses fall at every phase of the heartbeats and ticks. */
  crashAtMs?: number
  /** How long the site and its clusters stay dark. Default 40 s. */
  downMs?: number
  /** How long the run goes on after the site returns (fail-back). Default the stabilisation window + 30 s. */
  afterReturnMs?: number
  /** Zero-ready sampling period, virtual ms. Default 200. */
  sampleMs?: number
  /** Test-only broken decision points of the core. */
  injectedBugs?: InjectedBug[]
  /** Further scenario options (failover timings, cluster ready delays, workload), laid over this measurement's defaults. */
  scenario?: ScenarioInput
}

export type Exclusion = 'stateful' | 'local-only' | 'residency' | 'no-capacity'

export interface WorkloadFailover {
  key: string
  origin: string
  desired: number
  /** Replicas the lost site's clusters were asked to run, and had Ready, at the loss. */
  lostDesired: number
  lostReady: number
  /** Ready replicas on the other clusters at the loss. */
  survivingReady: number
  /** Why the workload is not expected to move (not counted), if so. */
  excluded?: Exclusion
  /** First instant, before the site returned, its Ready replicas off the lost site reached `desired`. */
  readyAtMs?: number
  /** Last increase of a share on another cluster at or before `readyAtMs`: the replacement started. */
  startedAtMs?: number
  /** Cluster of that increase. */
  replacementCluster?: string
  /** When the site owning that cluster judged the lost site failed. */
  detectedAtMs?: number
}

export interface ZeroReadySample {
  timeMs: number
  key: string
}

export interface FailoverMeasurement {
  seed: number
  site: string
  crashAtMs: number
  returnAtMs: number
  endMs: number
  /** Last change of a migrated workload's share on any cluster (the run should end well after it: fail-back done). */
  lastShareChangeMs: number
  /** Per surviving site, when its detector first judged the lost site suspect / failed. */
  suspectedAtMs: Record<string, number>
  failedAtMs: Record<string, number>
  workloads: WorkloadFailover[]
  /** Crash to the last counted workload Ready elsewhere; undefined when none was counted or one did not move before the site returned. */
  failoverMs: number | undefined
  /** Counted workloads not Ready elsewhere before the site returned, although the survivors' free room could hold their missing replicas. */
  unrecovered: string[]
  samples: number
  zeroReady: ZeroReadySample[]
  inherentZero: number
  run: { ok: boolean, traceHash: string, wallMs: number, violations: string[], internalErrors: string[] }
  settings: { heartbeatMs: number, suspectMs: number, failMs: number, tickMs: number, readyDelayMs: Record<string, number> }
}

/** A small deterministic hash of the seed for the measurement's own draws (the world has its own streams). */
function draw (seed: number, salt: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296
}

const DEFAULT_SITES = 4

function scenarioInput (o: FailoverRunOptions, site: string, crashAtMs: number, downMs: number, durationMs: number): ScenarioInput {
  const base: ScenarioInput = {
    seed: o.seed,
    durationMs,
    // No user changes: nothing but the loss moves work. Six Deployments a site of 1–3
    // replicas, so a third sit whole on one cluster and must move entirely.
    workload: { changeEveryMs: 0, deploymentsPerSite: 6, maxReplicas: 3 },
    clusters: { readyDelayMs: [1_000, 3_000] },
    faults: { kinds: [], scheduled: [{ atMs: crashAtMs, kind: 'site-loss', site, downMs }] },
    ...(o.injectedBugs === undefined ? {} : { injectedBugs: o.injectedBugs })
  }
  const extra = o.scenario ?? {}
  return withScenario(siteLoss, {
    ...base,
    ...extra,
    workload: { ...base.workload, ...extra.workload },
    clusters: { ...base.clusters, ...extra.clusters },
    faults: { ...base.faults, ...extra.faults }
  })
}

/**
 * Regions the workload may run in, by its residency and the region terms of the policy
 * that selects it (residency regions, a `region In` cluster affinity); undefined: any.
 * Other placement terms are ignored, so the capacity check below can only be too
 * generous — it may call a workload movable that is not, never the reverse.
 */
function allowedRegions (record: WorkloadRecord, spec: PropagationSpec | undefined): string[] | undefined {
  let regions: string[] | undefined = record.residency.kind === 'regions' ? [...record.residency.regions] : undefined
  const narrow = (by: readonly string[]): void => { regions = regions === undefined ? [...by] : regions.filter((r) => by.includes(r)) }
  if (spec?.residency?.regions !== undefined) narrow(spec.residency.regions)
  for (const e of spec?.placement?.clusterAffinity?.fieldSelector?.matchExpressions ?? []) {
    if (e.key === 'region' && e.operator === 'In' && e.values !== undefined) narrow(e.values)
  }
  return regions
}

interface FreeNode { region: string, free: Resources }

/** Takes room for `replicas` copies of `per` from `pool` (first fit), all or nothing. */
function take (pool: FreeNode[], replicas: number, per: Resources, regions: readonly string[] | undefined): boolean {
  const taken: Resources[] = []
  for (let i = 0; i < replicas; i++) {
    const slot = pool.find((n) => (regions === undefined || regions.includes(n.region)) && RESOURCE_KEYS.every((k) => n.free[k] >= per[k]))
    if (slot === undefined) {
      for (const t of taken) for (const k of RESOURCE_KEYS) t[k] += per[k]
      return false
    }
    for (const k of RESOURCE_KEYS) slot.free[k] -= per[k]
    taken.push(slot.free)
  }
  return true
}

interface Tracker {
  w: WorkloadFailover
  record: WorkloadRecord | undefined
  armed: boolean
  lastIncrease?: { atMs: number, cluster: string }
}

function mustLost (world: World, id: string): SimSite {
  const s = world.sites.find((x) => x.id === id)
  if (s === undefined) throw new FlotillaError('input-invalid', `'site' must name a simulated site (s0 … s${world.sites.length - 1}): received ${JSON.stringify(id)}`, 'Name a site of the run.')
  return s
}

export async function measureFailover (o: FailoverRunOptions): Promise<FailoverMeasurement> {
  const sites = o.scenario?.sites ?? DEFAULT_SITES
  const site = o.site ?? `s${Math.floor(draw(o.seed, 1) * sites)}`
  const heartbeatMs = o.scenario?.failover?.heartbeatMs ?? 2_000
  const crashAtMs = o.crashAtMs ?? 30_000 + Math.floor(draw(o.seed, 2) * heartbeatMs)
  const downMs = o.downMs ?? 40_000
  const stabilizationMs = o.scenario?.failover?.stabilizationMs ?? 30_000
  const afterReturnMs = o.afterReturnMs ?? stabilizationMs + 30_000
  const sampleMs = o.sampleMs ?? 200
  const durationMs = crashAtMs + downMs + afterReturnMs
  const input = scenarioInput(o, site, crashAtMs, downMs, durationMs)

  let world: World | undefined
  let ledger: ReplicaLedger | undefined
  let lost: SimSite | undefined
  // The lost site's core, kept to read its local-only records after the loss (no other site holds them).
  let lostCore: Site | undefined
  let lastShareChangeMs = 0
  let lostClusters = new Set<string>()
  let crashedAt: number | undefined
  const suspectedAtMs: Record<string, number> = {}
  const failedAtMs: Record<string, number> = {}
  const trackers = new Map<string, Tracker>()
  const unrecovered: string[] = []
  /** Set when the outage ended: readiness after it is fail-back, not failover. */
  let judged = false
  const zeroReady: ZeroReadySample[] = []
  let inherentZero = 0
  let samples = 0

  const elsewhere = (cluster: string): boolean => !lostClusters.has(cluster)

  /** The workload as the federation knows it; the lost site's local-only workloads only it knew. */
  function recordOf (w: World, key: string): WorkloadRecord | undefined {
    for (const s of w.sites) {
      if (s === lost) continue
      const r = s.site?.getRecord(key)
      if (r !== undefined && 'residency' in r) return r as WorkloadRecord
    }
    const local = lostCore?.localWorkloads().find((r) => r.key === key)
    if (local !== undefined) return { key, origin: site, residency: { kind: 'local-only' }, stateless: isStatelessObject(local.manifest), manifest: local.manifest, generation: local.generation, updatedAt: local.updatedAt }
    const r = lostCore?.getRecord(key)
    return r !== undefined && 'residency' in r ? r as WorkloadRecord : undefined
  }

  function onCrash (w: World, l: ReplicaLedger): void {
    const now = w.now()
    crashedAt = now
    const survivingRegions = new Set(w.sites.filter((s) => s !== lost).map((s) => s.region))
    for (const key of l.keys()) {
      let lostDesired = 0
      let lostReady = 0
      let sumDesired = 0
      for (const [cluster, s] of l.sharesOf(key)) {
        sumDesired += s.desired
        if (lostClusters.has(cluster)) { lostDesired += s.desired; lostReady += s.ready }
      }
      if (lostDesired === 0) continue
      const record = recordOf(w, key)
      const desired = record === undefined ? sumDesired : desiredReplicas(record.manifest)
      const wf: WorkloadFailover = { key, origin: record?.origin ?? '?', desired, lostDesired, lostReady, survivingReady: l.ready(key, elsewhere) }
      const spec = record === undefined ? undefined : specOf(w, record)
      if (record !== undefined && (!record.stateless || !isStatelessObject(record.manifest))) wf.excluded = 'stateful'
      else if (record?.residency.kind === 'local-only' || spec?.residency?.localOnly === true) wf.excluded = 'local-only'
      else {
        const allowed = record === undefined ? undefined : allowedRegions(record, spec)
        if (allowed !== undefined && !allowed.some((r) => survivingRegions.has(r))) wf.excluded = 'residency'
      }
      trackers.set(key, { w: wf, record, armed: wf.survivingReady > 0 })
    }
    const sample = (): void => {
      samples++
      const t = w.now()
      for (const tr of trackers.values()) {
        const ready = l.ready(tr.w.key)
        if (ready > 0) { tr.armed = true; continue }
        if (tr.armed) zeroReady.push({ timeMs: t, key: tr.w.key })
        else if (tr.w.excluded === undefined) inherentZero++
      }
      w.engine.setTimer(sampleMs, sample)
    }
    w.engine.setTimer(sampleMs, sample)
    // Just before the site returns (its fault ends at crash + downMs): what has not moved by then did not fail over.
    w.engine.setTimer(downMs - 1, () => { judgeUnmoved(w, l) })
  }

  /** The policy spec that selects the workload, as a surviving site sees its origin's policies. */
  function specOf (w: World, record: WorkloadRecord): PropagationSpec | undefined {
    const core = w.sites.find((s) => s !== lost && s.site !== undefined)?.site ?? lostCore
    const policies = core?.view().policies.filter((p) => p.origin === record.origin) ?? []
    return selectPolicy(preparePolicies(policies), record.manifest).policy?.spec
  }

  /**
   * Counted workloads not Ready elsewhere by the end of the outage: those whose missing
   * replicas fit, together, in the free room the surviving clusters' Ready nodes have
   * left (in their allowed regions) could have moved and did not; the rest were bound by
   * capacity and are excluded. An independent first-fit check, in key order.
   */
  function judgeUnmoved (w: World, l: ReplicaLedger): void {
    judged = true
    const pool: FreeNode[] = w.sites
      .filter((s) => s !== lost && s.state === 'up')
      .flatMap((s) => s.clusters.flatMap((c) => c.model.nodes().filter((n) => n.ready && !n.unschedulable).map((n) => ({ region: s.region, free: { ...n.free } }))))
    const waiting = [...trackers.values()].filter((t) => t.w.excluded === undefined && t.w.readyAtMs === undefined).sort((a, b) => a.w.key < b.w.key ? -1 : 1)
    for (const tr of waiting) {
      const per = tr.record === undefined ? undefined : perReplicaResources(tr.record.manifest)
      const missing = Math.max(0, tr.w.desired - l.ready(tr.w.key, elsewhere))
      const regions = tr.record === undefined ? undefined : allowedRegions(tr.record, specOf(w, tr.record))
      if (per !== undefined && !take(pool, missing, per, regions)) tr.w.excluded = 'no-capacity'
      else unrecovered.push(tr.w.key)
    }
  }

  function onShare (w: World, key: string, cluster: string, before: { desired: number }, after: { desired: number }): void {
    const tr = trackers.get(key)
    if (tr === undefined || crashedAt === undefined) return
    const now = w.now()
    lastShareChangeMs = now
    if (judged || tr.w.readyAtMs !== undefined || !elsewhere(cluster)) return
    if (after.desired > before.desired) tr.lastIncrease = { atMs: now, cluster }
    if (ledger!.ready(key, elsewhere) < tr.w.desired) return
    tr.w.readyAtMs = now
    if (tr.lastIncrease !== undefined) {
      tr.w.startedAtMs = tr.lastIncrease.atMs
      tr.w.replacementCluster = tr.lastIncrease.cluster
      const owner = w.sites.find((s) => s.clusters.some((c) => c.id === tr.lastIncrease!.cluster))
      const detected = owner === undefined ? undefined : failedAtMs[owner.id]
      if (detected !== undefined) tr.w.detectedAtMs = detected
    }
  }

  const result = await runScenario(input, {
    world (w) {
      world = w
      lost = mustLost(w, site)
      lostClusters = new Set(lost.clusters.map((c) => c.id))
      const l = ledger = createReplicaLedger(w.sites.flatMap((s) => s.clusters))
      l.onChange((c) => onShare(w, c.key, c.cluster, c.before, c.after))
      w.addHooks({
        created (s, core) {
          if (s === lost) lostCore = core
          core.liveness.onTransition((t) => {
            if (crashedAt === undefined || t.siteId !== site) return
            if (t.to === 'suspect' && suspectedAtMs[s.id] === undefined) suspectedAtMs[s.id] = w.now()
            if (t.to === 'failed' && failedAtMs[s.id] === undefined) failedAtMs[s.id] = w.now()
          })
        },
        down (s, cause) {
          if (s === lost && cause === 'site-loss' && crashedAt === undefined) onCrash(w, l)
        }
      })
    }
  })
  ledger?.close()
  if (world === undefined || lost === undefined) throw new Error('the simulator did not hand over its world')
  if (crashedAt === undefined) {
    throw new FlotillaError('internal', `site ${site} was never lost in seed ${o.seed} (the fault was skipped or the run stopped first)`,
      'Check the run\'s internal errors and the fault plan.', { details: { internalErrors: result.internalErrors } })
  }
  const crash = crashedAt
  const endMs = world.now()
  // A run that stopped before the outage ended (an internal error) judged nothing: what had not moved did not.
  if (!judged) for (const t of trackers.values()) if (t.w.excluded === undefined && t.w.readyAtMs === undefined) unrecovered.push(t.w.key)
  const workloads = [...trackers.values()].map((t) => t.w).sort((a, b) => a.key < b.key ? -1 : 1)
  const counted = workloads.filter((w) => w.excluded === undefined)
  const failoverMs = counted.length === 0 || unrecovered.length > 0 ? undefined : Math.max(...counted.map((w) => w.readyAtMs! - crash))
  const opts = result.options
  return {
    seed: o.seed,
    site,
    crashAtMs: crash,
    returnAtMs: crash + downMs,
    endMs,
    lastShareChangeMs,
    suspectedAtMs,
    failedAtMs,
    workloads,
    failoverMs,
    unrecovered,
    samples,
    zeroReady,
    inherentZero,
    run: {
      ok: result.ok,
      traceHash: result.traceHash,
      wallMs: result.stats.wallMs,
      violations: result.invariants.flatMap((i) => i.violations.map((v) => `${v.invariant}/${v.rule} at ${(v.timeMs / 1000).toFixed(1)} s: ${v.message}`)),
      internalErrors: result.internalErrors
    },
    settings: {
      heartbeatMs: opts.failover.heartbeatMs,
      suspectMs: opts.failover.suspectMs,
      failMs: opts.failover.failMs,
      tickMs: opts.tickMs,
      readyDelayMs: Object.fromEntries(result.sites.flatMap((s) => s.clusters.map((c) => [c.id, c.readyDelayMs])))
    }
  }
}
