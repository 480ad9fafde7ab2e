/**
 * The simulator's command-line options, shared by `flotilla sim` and the swarm: their
 * definitions (for commander), their translation into scenario options, and the exact
 * argument list that replays a run, so a failing seed is always one command away.
 */
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { FlotillaError, isFlotillaError } from '../src/model/errors.ts'
import { isByzantineBehaviour, type ByzantineBehaviour } from './byzantine/behaviour.ts'
import { FAULT_KINDS, parseDuration, type FaultKind, type ScenarioInput } from './runner/options.ts'
import { scenarioByName, withScenario } from './scenarios/index.ts'

/** Flags as commander hands them over (strings, or booleans for switches). */
export interface SimFlags {
  scenario?: string
  seed?: string
  sites?: string
  regions?: string
  duration?: string
  faults?: string
  behaviours?: string
  faultEvery?: string
  quietTail?: string
  workloads?: string
  changeEvery?: string
  clusters?: string
  loss?: string
  dup?: string
  reorder?: string
  bandwidth?: string
}

/** The scenario-shaping flags, in the order a replay command lists them. */
const SCENARIO_FLAGS: ReadonlyArray<[keyof SimFlags, string, string]> = [
  ['scenario', '--scenario <name>', 'named scenario (standard, site-loss, regional-partition, byzantine-minority, rolling-restarts, gpu-constrained)'],
  ['sites', '--sites <n>', 'number of sites'],
  ['regions', '--regions <n>', 'number of regions (sites are dealt round robin)'],
  ['duration', '--duration <time>', 'virtual duration, e.g. 90s, 10m'],
  ['faults', '--faults <list>', `random faults: ${FAULT_KINDS.join(',')}, byzantine=<n>, or none`],
  ['behaviours', '--behaviours <list>', 'Byzantine behaviours (default all): forge,foreign-write,equivocate,replay,withhold,flood,malformed,lie-clusters,false-death'],
  ['faultEvery', '--fault-every <time>', 'mean interval between random faults'],
  ['quietTail', '--quiet-tail <time>', 'final stretch with no faults, in which the federation must settle'],
  ['workloads', '--workloads <n>', 'Deployments each site creates at the start'],
  ['changeEvery', '--change-every <time>', 'mean interval between workload changes (0 for none)'],
  ['clusters', '--clusters <n>', 'clusters per site'],
  ['loss', '--loss <p>', 'frame loss probability on every link'],
  ['dup', '--dup <p>', 'frame duplication probability on every link'],
  ['reorder', '--reorder <p>', 'probability that a frame overtakes those sent before it on its link (default 0: in order, as on one TCP connection)'],
  ['bandwidth', '--bandwidth <mbps>', 'serialisation rate of every link in Mbit/s (default unlimited)']
]

/** Adds the scenario-shaping options to a command (without --seed, which callers add their way). */
export function addScenarioOptions (cmd: Command): Command {
  for (const [, flag, help] of SCENARIO_FLAGS) cmd.option(flag, help)
  return cmd
}

function count (flag: string, v: string, min: number): number {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || n < min) throw new FlotillaError('input-invalid', `'--${flag}' must be an integer >= ${min}: received ${JSON.stringify(v)}`, `Pass a whole number, e.g. --${flag} ${Math.max(min, 3)}.`)
  return n
}

function probability (flag: string, v: string): number {
  const n = Number(v)
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new FlotillaError('input-invalid', `'--${flag}' must be a probability from 0 to 1: received ${JSON.stringify(v)}`, `Pass e.g. --${flag} 0.01.`)
  return n
}

/** A seed as given: an integer when it is one, else the string itself. */
export function parseSeed (v: string): number | string {
  const t = v.trim()
  if (t === '') throw new FlotillaError('input-invalid', '\'--seed\' must not be empty', 'Pass the seed a run printed, e.g. --seed 42.')
  return /^-?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : t
}

/** Scenario options from the flags, laid over the named scenario's defaults. */
export function scenarioFromFlags (flags: SimFlags): ScenarioInput {
  const scenario = scenarioByName(flags.scenario ?? 'standard')
  const o: ScenarioInput = {}
  if (flags.seed !== undefined) o.seed = parseSeed(flags.seed)
  if (flags.sites !== undefined) o.sites = count('sites', flags.sites, 2)
  if (flags.regions !== undefined) o.regions = count('regions', flags.regions, 1)
  if (flags.duration !== undefined) o.durationMs = parseDuration(flags.duration, '--duration')
  const faults: NonNullable<ScenarioInput['faults']> = {}
  if (flags.faults !== undefined) {
    const kinds: FaultKind[] = []
    faults.byzantine = 0
    for (const part of flags.faults.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (part === 'none') continue
      const m = /^byzantine(?:=(\d+))?$/.exec(part)
      if (m !== null) { faults.byzantine = m[1] === undefined ? 1 : Number(m[1]); continue }
      if (part === 'all') { kinds.push(...FAULT_KINDS); continue }
      if (!(FAULT_KINDS as readonly string[]).includes(part)) {
        throw new FlotillaError('input-invalid', `'--faults' must list ${FAULT_KINDS.join(', ')}, all, byzantine=<n> or none: received ${JSON.stringify(part)}`, 'Example: --faults partition,crash,byzantine=2')
      }
      kinds.push(part as FaultKind)
    }
    faults.kinds = [...new Set(kinds)]
  }
  if (flags.behaviours !== undefined) {
    const list = flags.behaviours.split(',').map((x) => x.trim()).filter((x) => x !== '')
    const badOne = list.find((b) => !isByzantineBehaviour(b))
    if (badOne !== undefined) throw new FlotillaError('input-invalid', `'--behaviours' lists an unknown behaviour: ${JSON.stringify(badOne)}`, 'Known: forge, foreign-write, equivocate, replay, withhold, flood, malformed, lie-clusters, false-death.')
    faults.behaviours = list as ByzantineBehaviour[]
  }
  if (flags.faultEvery !== undefined) faults.meanIntervalMs = parseDuration(flags.faultEvery, '--fault-every')
  if (flags.quietTail !== undefined) faults.quietTailMs = parseDuration(flags.quietTail, '--quiet-tail')
  if (Object.keys(faults).length > 0) o.faults = faults
  const workload: NonNullable<ScenarioInput['workload']> = {}
  if (flags.workloads !== undefined) workload.deploymentsPerSite = count('workloads', flags.workloads, 0)
  if (flags.changeEvery !== undefined) workload.changeEveryMs = parseDuration(flags.changeEvery, '--change-every')
  if (Object.keys(workload).length > 0) o.workload = workload
  if (flags.clusters !== undefined) o.clusters = { perSite: count('clusters', flags.clusters, 1) }
  const network: NonNullable<ScenarioInput['network']> = {}
  if (flags.loss !== undefined) network.loss = probability('loss', flags.loss)
  if (flags.dup !== undefined) network.duplicate = probability('dup', flags.dup)
  if (flags.reorder !== undefined) network.reorder = probability('reorder', flags.reorder)
  if (flags.bandwidth !== undefined) {
    const mbps = Number(flags.bandwidth)
    if (flags.bandwidth.trim() === '' || !(mbps > 0) || !Number.isFinite(mbps)) throw new FlotillaError('input-invalid', `'--bandwidth' must be a positive number of Mbit/s: received ${JSON.stringify(flags.bandwidth)}`, 'Pass e.g. --bandwidth 100.')
    network.bandwidthMbps = mbps
  }
  if (Object.keys(network).length > 0) o.network = network
  return withScenario(scenario, o)
}

/** The scenario-shaping flags exactly as given, for a replay command (`--seed` excluded). */
export function replayArgs (flags: SimFlags): string[] {
  const out: string[] = []
  for (const [key, flag] of SCENARIO_FLAGS) {
    const v = flags[key]
    if (v !== undefined) out.push(flag.split(' ')[0]!, v)
  }
  return out
}

/** The one command that replays a run. */
export function replayCommand (flags: SimFlags, seed: number | string): string {
  const args = [...replayArgs(flags), '--seed', String(seed)]
  return `npm run sim -- ${args.map(shellQuote).join(' ')}`
}

function shellQuote (a: string): string {
  return /^[A-Za-z0-9_./=,:@+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`
}

/**
 * Runs `main` when `moduleUrl` is the script node was started with (`node sim/swarm.ts`),
 * and turns its failures into an exit code: an expected error prints its code and hint
 * (exit 2), commander's usage errors exit 2 (help exits 0), anything else is a bug and
 * is thrown.
 */
export async function runAsScript (moduleUrl: string, main: (argv: string[]) => Promise<number>): Promise<void> {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return
  try {
    process.exitCode = await main(process.argv.slice(2))
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if (isFlotillaError(e)) {
      process.stderr.write(`error[${e.code}]: ${e.message}\n  hint: ${e.hint}\n`)
      process.exitCode = 2
    } else if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = code === 'commander.helpDisplayed' ? 0 : 2
    } else {
      throw e
    }
  }
}
