/**
 * The long soak: `npm run sim:soak [-- --scale 0.5] [--only standard-6m,...] [--jobs 2]`
 * runs a fixed plan of swarms, one after another, each a scenario pushed past what
 * `npm test` and a default swarm cover — six virtual minutes instead of two or three,
 * random faults and a Byzantine site added to the calm scenarios, more sites, lossy
 * links, links that reorder frames — and lists every failing seed with the command that
 * replays it. Each sweep starts at its own seed range, away from the seeds the test suite
 * and the default swarms run, so a soak looks where nobody looked yet. Exits 1 when a
 * seed failed. About 50 minutes on 2 cores at scale 1.
 */
import { availableParallelism } from 'node:os'
import { Command } from 'commander'
import { FlotillaError } from '../src/model/errors.ts'
import { runAsScript, scenarioFromFlags, type SimFlags } from './cli-args.ts'
import { runSwarm, swarmReplay, DEFAULT_SEED_TIMEOUT_MS } from './swarm.ts'

export interface SoakSweep {
  /** Short name for `--only`. */
  name: string
  flags: SimFlags
  from: number
  seeds: number
}

const FAULTS_AND_BYZANTINE = 'partition,crash,site-loss,not-ready,byzantine=1'

/** The plan; each sweep found or guards something (docs/simulator.md, "Soaks"). */
export const SOAK_PLAN: readonly SoakSweep[] = [
  { name: 'standard-6m', flags: { scenario: 'standard', duration: '6m' }, from: 1000, seeds: 200 },
  { name: 'byzantine-6m', flags: { scenario: 'byzantine-minority', duration: '6m' }, from: 500, seeds: 60 },
  { name: 'restarts-faults-6m', flags: { scenario: 'rolling-restarts', duration: '6m', faults: FAULTS_AND_BYZANTINE }, from: 700, seeds: 60 },
  { name: 'gpu-faults-6m', flags: { scenario: 'gpu-constrained', duration: '6m', faults: FAULTS_AND_BYZANTINE }, from: 700, seeds: 60 },
  { name: 'site-loss-faults-6m', flags: { scenario: 'site-loss', duration: '6m', faults: 'crash,partition,not-ready,slow-disk,skew,byzantine=1' }, from: 700, seeds: 60 },
  { name: 'partition-6m', flags: { scenario: 'regional-partition', duration: '6m' }, from: 500, seeds: 60 },
  { name: 'standard-8-sites', flags: { scenario: 'standard', sites: '8', duration: '4m' }, from: 700, seeds: 30 },
  { name: 'standard-lossy', flags: { scenario: 'standard', loss: '0.05', dup: '0.02' }, from: 300, seeds: 100 },
  { name: 'standard-reordering', flags: { scenario: 'standard', reorder: '1', loss: '0.01' }, from: 1300, seeds: 100 }
]

/**
 * The sweeps to run: the plan, or the named part of it, with seed counts scaled (at
 * least one seed each). Unknown names are refused with the list of known ones.
 */
export function planSoak (only: readonly string[] | undefined, scale: number): SoakSweep[] {
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw new FlotillaError('input-invalid', `'--scale' must be a number above 0: received ${String(scale)}`, 'Pass e.g. --scale 0.25 for a quick soak, 1 for the full one.')
  }
  const unknown = (only ?? []).filter((n) => !SOAK_PLAN.some((s) => s.name === n))
  if (unknown.length > 0) {
    throw new FlotillaError('input-invalid', `'--only' names no soak sweep: ${unknown.join(', ')}`, `Pick from ${SOAK_PLAN.map((s) => s.name).join(', ')}.`)
  }
  return SOAK_PLAN.filter((s) => only === undefined || only.includes(s.name)).map((s) => ({ ...s, seeds: Math.max(1, Math.round(s.seeds * scale)) }))
}

async function main (argv: string[]): Promise<number> {
  const program = new Command('sim:soak')
    .description('runs the long soak: a fixed plan of swarms beyond what npm test covers, listing every failing seed with its replay command')
    .option('--scale <x>', 'multiply every sweep\'s seed count (e.g. 0.25 for a quick soak)', '1')
    .option('--only <names>', `comma-separated sweeps (${SOAK_PLAN.map((s) => s.name).join(', ')})`)
    .option('--jobs <n>', 'worker processes (default: one per core)')
    .exitOverride()
  program.parse(argv, { from: 'user' })
  const o = program.opts<{ scale: string, only?: string, jobs?: string }>()
  const sweeps = planSoak(o.only?.split(',').filter((n) => n !== ''), Number(o.scale))
  const jobs = o.jobs === undefined ? availableParallelism() : Number(o.jobs)
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new FlotillaError('input-invalid', `'--jobs' must be a whole number >= 1: received ${JSON.stringify(o.jobs)}`, 'Pass e.g. --jobs 2.')
  for (const s of sweeps) scenarioFromFlags(s.flags) // every sweep's options are valid before the first runs
  const failures: string[] = []
  for (const s of sweeps) {
    const r = await runSwarm({ seeds: s.seeds, from: s.from, jobs, bugs: [], flags: s.flags, maxFailures: Number.MAX_SAFE_INTEGER, seedTimeoutMs: DEFAULT_SEED_TIMEOUT_MS })
    process.stdout.write(`${s.name}: seeds ${s.from}–${s.from + s.seeds - 1}, ${r.failing.length} failing (${(r.wallMs / 1000).toFixed(0)} s, ${r.seedsPerMinute.toFixed(1)} seeds/min)\n`)
    for (const f of r.failing) failures.push(`${s.name} seed ${f.seed}: ${f.failures[0] ?? '?'}\n  replay: ${swarmReplay(s.flags, [], f.seed)}`)
  }
  process.stdout.write(`\n${failures.length === 0 ? 'no seed failed' : `${failures.length} failing seed(s):\n${failures.join('\n')}`}\n`)
  return failures.length === 0 ? 0 : 1
}

await runAsScript(import.meta.url, main)
