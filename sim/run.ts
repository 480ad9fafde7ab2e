/**
 * One simulated run, start to end: resolve the options, switch the test-only injected
 * bugs (if any), build the world, install the Byzantine behaviours, the invariants, the
 * workload and the fault plan, boot every site at virtual time 0, run the engine to the
 * end of the duration (or the first violation, for swarms), finish the invariants and
 * return everything the summary and the report need. The same seed and options give the
 * same trace hash; nothing here reads real time except to measure the wall time taken.
 */
import { performance } from 'node:perf_hooks'
import { setInjectedBugs } from '../src/testing/injected-bugs.ts'
import { installByzantine, type ByzantineStats } from './byzantine/install.ts'
import { createFaultInjector, type FaultStats } from './faults/injector.ts'
import { planFaults, type ScheduledFault } from './faults/plan.ts'
import { createMonitor, type MonitorStats, type ReportSeries } from './invariants/monitor.ts'
import type { InvariantResult } from './invariants/types.ts'
import { createHeapWatch, heapExhausted, heapReserveFor, reserveAutomergeHeap } from './runner/automerge-heap.ts'
import { createJsHeapWatch, jsHeapExhausted, type JsHeapFull, type JsHeapWatchOptions } from './runner/js-heap.ts'
import { resolveScenario, type ScenarioInput, type ScenarioOptions } from './runner/options.ts'
import type { LogSink } from './runner/sim-logger.ts'
import type { TimelineEntry } from './runner/timeline.ts'
import { createWorld, type World } from './runner/world.ts'
import { createWorkloadGenerator } from './workload/generator.ts'

export interface SiteSummary {
  id: string
  region: string
  honest: boolean
  behaviours: string[]
  clusters: Array<{ id: string, gpu: boolean, readyDelayMs: number }>
  incarnations: number
  state: string
}

export interface RunStats {
  virtualMs: number
  wallMs: number
  /** Virtual seconds per wall second. */
  speedup: number
  events: number
  traceRecords: number
  network: { framesSent: number, framesDelivered: number, dropped: number, broadcasts: number }
  workload: { applied: number, skipped: number, deployments: number }
  faults: FaultStats
  byzantine: ByzantineStats
  monitor: MonitorStats
  logs: { warnings: number, errors: number }
}

export interface RunResult {
  options: ScenarioOptions
  traceHash: string
  ok: boolean
  /** The run stopped at its first violation (swarm mode) before the end. */
  stoppedEarly: boolean
  /** The run stopped when its wall-clock budget (`RunHooks.maxWallMs`) ran out, before the end. */
  outOfWallBudget: boolean
  invariants: InvariantResult[]
  /** Failures of the simulator itself (a site that could not boot, an exception out of an event). */
  internalErrors: string[]
  stats: RunStats
  sites: SiteSummary[]
  plan: ScheduledFault[]
  timeline: TimelineEntry[]
  series: ReportSeries
  firstErrors: LogSink['firstErrors']
}

const CHUNK_MS = 5_000
const START_WALL_MS = Date.UTC(2025, 0, 1)

/**
 * Migrations and fail-backs as the honest sites that are up recorded them in their own
 * documents (for the report; times converted from each site's wall clock, so approximate).
 */
function failoverEntries (world: World): TimelineEntry[] {
  const out: TimelineEntry[] = []
  for (const s of world.sites) {
    if (!s.honest || s.site === undefined) continue
    for (const e of s.site.events()) {
      if (e.kind !== 'migration' && e.kind !== 'failback') continue
      const moved = (e.moved ?? []).map((m) => `${m.workload.split('/').slice(2).join('/')}: ${m.from.join('+') || '-'} → ${m.to.join('+') || '-'}`).slice(0, 5).join('; ')
      out.push({ timeMs: Math.max(0, e.at - START_WALL_MS - s.skewMs), kind: e.kind === 'migration' ? 'failover' : 'failback', site: s.id, detail: `${e.subject}: ${e.cause}${moved === '' ? '' : ` (${moved})`}` })
    }
  }
  return out
}

/** For tools and tests that watch or bound a run. */
export interface RunHooks {
  /** Called once the world is built, before virtual time starts. */
  world? (world: World): void
  /**
   * Stop after this much wall time (checked between events), for benchmarks that must
   * end. A run stopped so is not checked at the end: its verdicts cover only the
   * virtual time it reached (`stats.virtualMs`).
   */
  maxWallMs?: number
  /** Stop when Automerge's heap reaches this size (default `HEAP_STOP_BYTES`; tests lower it). */
  heapStopBytes?: number
  /** When to stop for V8's own heap (default: at 85 % of its limit; tests pass their own statistics). */
  jsHeap?: JsHeapWatchOptions
}

export async function runScenario (input: ScenarioInput, hooks: RunHooks = {}): Promise<RunResult> {
  const options = resolveScenario(input)
  setInjectedBugs(options.injectedBugs)
  try {
    return await execute(options, hooks)
  } finally {
    setInjectedBugs([])
  }
}

async function execute (options: ScenarioOptions, hooks: RunHooks): Promise<RunResult> {
  const startedAt = performance.now()
  reserveAutomergeHeap(heapReserveFor(options.sites))
  const watchHeap = createHeapWatch(hooks.heapStopBytes !== undefined ? { stopAtBytes: hooks.heapStopBytes } : {})
  const watchJsHeap = createJsHeapWatch(hooks.jsHeap)
  const world = createWorld(options)
  const byzantine = installByzantine(world)
  const generator = createWorkloadGenerator(world)
  const monitor = createMonitor(world, generator.book, byzantine.liars)
  const plan = planFaults(options, world.sites.map((s) => s.id), world.rng.fork('faults'))
  const injector = createFaultInjector(world, plan)
  const { engine } = world
  hooks.world?.(world)
  monitor.start()
  generator.start()
  injector.start()
  engine.setTimer(0, () => { for (const s of world.sites) void world.boot(s) })

  let stop = false
  if (options.checks.stopOnViolation) monitor.sink.onFirst(() => { stop = true })
  let events = 0
  let outOfWallBudget = false
  /** Automerge's heap size once it reached the stop size (the run ends there). */
  let heapFull: number | undefined
  /** V8's heap use and limit once the use reached its stop share (the run ends there). */
  let jsHeapFull: JsHeapFull | undefined
  const internalErrors = world.internalErrors
  try {
    while (engine.nowMs() < options.durationMs && !stop && internalErrors.length === 0) {
      const budget = hooks.maxWallMs
      events += await engine.runUntil(Math.min(options.durationMs, engine.nowMs() + CHUNK_MS), () => {
        heapFull = watchHeap()
        jsHeapFull = watchJsHeap()
        return heapFull !== undefined || jsHeapFull !== undefined || (budget !== undefined && performance.now() - startedAt > budget)
      })
      if (heapFull !== undefined) { internalErrors.push(heapExhausted(heapFull, engine.nowMs(), options.sites)); break }
      if (jsHeapFull !== undefined) { internalErrors.push(jsHeapExhausted(jsHeapFull, engine.nowMs(), options.sites)); break }
      if (hooks.maxWallMs !== undefined && performance.now() - startedAt > hooks.maxWallMs && engine.nowMs() < options.durationMs) { outOfWallBudget = true; break }
    }
    if (!stop && !outOfWallBudget && internalErrors.length === 0) await monitor.finish()
  } catch (e) {
    internalErrors.push(`the run stopped at ${engine.nowMs()} ms: ${(e as Error).stack ?? String(e)}`)
  }
  const failovers = failoverEntries(world)
  const wallMs = performance.now() - startedAt
  const invariants = monitor.results()
  const net = world.fabric.stats()
  const d = net.dropped
  return {
    options,
    traceHash: world.trace.hash(),
    ok: internalErrors.length === 0 && invariants.every((i) => i.ok),
    stoppedEarly: stop,
    outOfWallBudget,
    invariants,
    internalErrors,
    stats: {
      virtualMs: engine.nowMs(),
      wallMs,
      speedup: engine.nowMs() / Math.max(1, wallMs),
      events,
      traceRecords: world.trace.count(),
      network: { framesSent: net.framesSent, framesDelivered: net.framesDelivered, dropped: d.notConnected + d.queueFull + d.lost + d.inFlight + d.oversize, broadcasts: net.broadcasts.published },
      workload: { applied: generator.book.applied, skipped: generator.book.skipped, deployments: generator.book.specs.size },
      faults: injector.stats,
      byzantine: byzantine.stats,
      monitor: monitor.stats(),
      logs: { warnings: world.logs.warnings, errors: world.logs.errors }
    },
    sites: world.sites.map((s) => ({
      id: s.id, region: s.region, honest: s.honest, behaviours: byzantine.behavioursOf(s.id),
      clusters: s.clusters.map((c) => ({ id: c.id, gpu: c.gpu, readyDelayMs: c.readyDelayMs })),
      incarnations: s.incarnation, state: s.state
    })),
    plan,
    timeline: [...world.timeline.entries(), ...failovers].sort((a, b) => a.timeMs - b.timeMs),
    series: monitor.series(),
    firstErrors: world.logs.firstErrors
  }
}
