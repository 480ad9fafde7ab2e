/**
 * Simulator benchmark (issue 9). Every run is the standard scenario's fault mix (random
 * partitions of every shape, crashes, site losses, slow disks, clock steps, NotReady
 * clusters, one Byzantine site with every behaviour) at seed 1, with every invariant
 * checked, so the figures are what a developer gets from `npm run sim`.
 * - speedup_10_sites: virtual seconds per wall second, 10 sites, 10 virtual minutes.
 *   Baseline, same run: the same for the standard 5 sites.
 * - sites_100_wall_s: wall seconds of 100 sites for 2 virtual minutes. The run stops at
 *   a wall budget (`--budget-s`, default 600; checked between events); if it did not
 *   finish, the figure is extrapolated linearly from the virtual time reached and the
 *   note says so. It is no bound either way: the first seconds (every site syncing every
 *   document and every first controller tick) cost far more per virtual second than the
 *   rest, and later work grows with the documents. Baseline, same run: 10 sites for 2
 *   virtual minutes.
 * - seeds_per_min: swarm throughput of the standard scenario with one worker per core.
 *   Baseline, same run: one worker.
 * The notes of the first two also give the CPU seconds the run took and virtual seconds
 * per CPU second: on a shared machine that compares across loads where wall time does not.
 * `--quick` shortens the 10-site runs to 2 virtual minutes and the swarm to fewer seeds,
 * for a smoke test of the suite itself. `--only <list>` runs some of the metrics
 * (`speedup`, `hundred`, `swarm`, comma-separated) and `--no-baseline` skips the
 * same-run baselines, for quick iterations: e.g.
 * `node --cpu-prof bench/run.ts sim --only speedup --quick --no-baseline`.
 */
import { availableParallelism } from 'node:os'
import { FlotillaError } from '../../src/model/errors.ts'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import { runScenario, type RunResult } from '../../sim/run.ts'
import { FAULT_KINDS, type ScenarioInput } from '../../sim/runner/options.ts'
import { runSwarm } from '../../sim/swarm.ts'

function standard (sites: number, durationMs: number): ScenarioInput {
  return { seed: 1, sites, regions: 3, durationMs, faults: { kinds: [...FAULT_KINDS], meanIntervalMs: 20_000, byzantine: 1 } }
}

function flagValue (args: readonly string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag)
  const v = i < 0 ? undefined : Number(args[i + 1])
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback
}

const PARTS = ['speedup', 'hundred', 'swarm'] as const

function selected (args: readonly string[]): Set<string> {
  const i = args.indexOf('--only')
  if (i < 0) return new Set(PARTS)
  const list = (args[i + 1] ?? '').split(',').filter((p) => p !== '')
  const unknown = list.filter((p) => !(PARTS as readonly string[]).includes(p))
  if (unknown.length > 0 || list.length === 0) {
    throw new FlotillaError('input-invalid', `--only takes a comma-separated list of ${PARTS.join(', ')}: received ${JSON.stringify(args[i + 1] ?? '')}`,
      'Name the metrics to run, e.g. `--only speedup`.')
  }
  return new Set(list)
}

function speedup (r: RunResult): number {
  return r.stats.virtualMs / Math.max(1, r.stats.wallMs)
}

/**
 * A run with the CPU seconds this process spent on it (GC helper threads included). On a
 * machine shared with other work, wall time says more about the neighbours than about the
 * simulator; virtual seconds per CPU second compare across loads.
 */
async function measured (input: ScenarioInput, hooks?: Parameters<typeof runScenario>[1]): Promise<{ r: RunResult, cpuS: number }> {
  const before = process.cpuUsage()
  const r = await runScenario(input, hooks)
  const used = process.cpuUsage(before)
  return { r, cpuS: (used.user + used.system) / 1e6 }
}

function cpuNote ({ r, cpuS }: { r: RunResult, cpuS: number }): string {
  const perCpu = r.stats.virtualMs / 1000 / Math.max(0.001, cpuS)
  return `${cpuS.toFixed(1)} CPU s (${perCpu >= 1 ? perCpu.toFixed(1) : perCpu.toPrecision(2)} virtual s per CPU s)`
}

function verdict (r: RunResult): string {
  const bad = r.invariants.filter((i) => !i.ok).map((i) => i.name)
  return r.internalErrors.length > 0 ? 'simulator error' : bad.length === 0 ? 'all invariants held' : `violations: ${bad.join(', ')}`
}

interface RunSettings { quick: boolean, baselines: boolean, budgetMs: number }

async function speedupMetric ({ quick, baselines }: RunSettings): Promise<BenchMetric> {
  const tenMinutes = quick ? 120_000 : 600_000
  const tenRun = await measured(standard(10, tenMinutes))
  const ten = tenRun.r
  const five = baselines ? await runScenario(standard(5, tenMinutes)) : undefined
  return {
    name: 'speedup_10_sites', value: speedup(ten), unit: 'virtual s / wall s',
    ...(five === undefined ? {} : { baseline: { name: 'speedup_5_sites', value: speedup(five) } }),
    target: { op: '>=', value: 60 },
    note: `${tenMinutes / 60_000} virtual min, ${(ten.stats.wallMs / 1000).toFixed(1)} s wall, ${cpuNote(tenRun)}, ${ten.stats.events.toLocaleString('en-US')} events, ${ten.stats.network.framesSent.toLocaleString('en-US')} frames, ${verdict(ten)}; trace ${ten.traceHash.slice(0, 16)}`
  }
}

async function hundredMetric ({ baselines, budgetMs }: RunSettings): Promise<BenchMetric> {
  const tenShort = baselines ? await runScenario(standard(10, 120_000)) : undefined
  const hundredRun = await measured(standard(100, 120_000), { maxWallMs: budgetMs })
  const hundred = hundredRun.r
  const reached = hundred.stats.virtualMs
  const finished = !hundred.outOfWallBudget
  const wallS = finished ? hundred.stats.wallMs / 1000 : (hundred.stats.wallMs / 1000) * (120_000 / Math.max(1, reached))
  return {
    name: 'sites_100_wall_s', value: wallS, unit: 's',
    ...(tenShort === undefined ? {} : { baseline: { name: 'sites_10_wall_s', value: tenShort.stats.wallMs / 1000 } }),
    target: { op: '<=', value: 120 },
    note: finished
      ? `finished: ${cpuNote(hundredRun)}, ${hundred.stats.events.toLocaleString('en-US')} events, ${verdict(hundred)}`
      : `did NOT finish within the ${budgetMs / 1000} s budget: reached ${(reached / 1000).toFixed(1)} of 120 virtual s in ${(hundred.stats.wallMs / 1000).toFixed(0)} s wall, ${cpuNote(hundredRun)} (${hundred.stats.events.toLocaleString('en-US')} events, ${hundred.stats.network.framesSent.toLocaleString('en-US')} frames); the figure is extrapolated linearly from the boot phase, no bound either way`
  }
}

async function swarmMetric ({ quick, baselines }: RunSettings): Promise<BenchMetric> {
  const jobs = Math.max(2, Math.min(availableParallelism(), 4))
  const seeds = quick ? 2 * jobs : 4 * jobs
  const parallel = await runSwarm({ seeds, from: 1, jobs, bugs: [], flags: {}, maxFailures: seeds })
  const single = baselines ? await runSwarm({ seeds: quick ? 1 : 2, from: 1, jobs: 1, bugs: [], flags: {}, maxFailures: seeds }) : undefined
  return {
    name: 'seeds_per_min', value: parallel.seedsPerMinute, unit: 'seeds/min',
    ...(single === undefined ? {} : { baseline: { name: 'seeds_per_min_1_worker', value: single.seedsPerMinute } }),
    note: `standard scenario (5 sites, 2 virtual min), ${seeds} seeds on ${jobs} worker processes; ${parallel.failing.length} failing (${parallel.failing.map((f) => f.seed).join(', ') || 'none'})`
  }
}

const suite: BenchSuite = {
  name: 'sim',
  description: 'deterministic simulator: virtual-time speedup at 10 sites, wall time at 100 sites, swarm seeds per minute',
  async run (args) {
    const only = selected(args)
    const settings: RunSettings = { quick: args.includes('--quick'), baselines: !args.includes('--no-baseline'), budgetMs: flagValue(args, '--budget-s', 600) * 1000 }
    const metrics: BenchMetric[] = []
    if (only.has('speedup')) metrics.push(await speedupMetric(settings))
    if (only.has('hundred')) metrics.push(await hundredMetric(settings))
    if (only.has('swarm')) metrics.push(await swarmMetric(settings))
    return metrics
  }
}

export default suite
