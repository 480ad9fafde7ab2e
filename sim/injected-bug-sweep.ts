/**
 * The full injected-bug sweep: for every deliberately broken build of the core
 * (src/testing/injected-bugs.ts) it runs that bug's scenario (sim/scenarios/injected-bugs.ts)
 * seed after seed, up to 200, until an invariant catches it, then runs the same seed with
 * the bug off as a control — the honest core must not trip the rule that caught the
 * bug, or the catch proves nothing. `npm test` runs only the first few seeds of each;
 * this script (`node sim/injected-bug-sweep.ts [--seeds 200] [--bug <name>]`) is the
 * whole bound. Exits 1 when a bug escapes or a control fails.
 */
import { Command } from 'commander'
import { FlotillaError } from '../src/model/errors.ts'
import { INJECTED_BUGS, type InjectedBug } from '../src/testing/injected-bugs.ts'
import type { Violation } from './invariants/types.ts'
import { runAsScript } from './cli-args.ts'
import { runScenario } from './run.ts'
import { BUG_SCENARIOS, type BugScenario } from './scenarios/injected-bugs.ts'

/** The bound of the issue: every injected bug must be caught within this many seeds. */
export const SEED_BOUND = 200

export interface Catch {
  seed: number
  /** The violation of the rule the scenario names. */
  violation: Violation
  traceHash: string
  /** Seeds run before the catch (including it). */
  tried: number
}

/**
 * The first seed of `from .. from + seeds - 1` at which the bug's rule fires, running each
 * seed with the bug on and stopping at the first violation; undefined when none does.
 */
export async function firstCatch (scenario: BugScenario, range: { from: number, seeds: number }): Promise<Catch | undefined> {
  for (let i = 0; i < range.seeds; i++) {
    const seed = range.from + i
    const r = await runScenario({
      ...scenario.input, seed, injectedBugs: [scenario.bug], checks: { ...scenario.input.checks, stopOnViolation: true }
    })
    if (r.internalErrors.length > 0) {
      throw new FlotillaError('internal', `the ${scenario.bug} scenario failed to run at seed ${seed}: ${r.internalErrors[0]!.split('\n')[0] ?? ''}`,
        'This is a simulator bug; replay the seed with the scenario options to see it.')
    }
    const hit = r.invariants.find((x) => x.name === scenario.catches.invariant)?.violations.find((v) => v.rule === scenario.catches.rule)
    if (hit !== undefined) return { seed, violation: hit, traceHash: r.traceHash, tried: i + 1 }
  }
  return undefined
}

/** Violations of the catching rule with the bug off, on the same seed: must be none. */
export async function control (scenario: BugScenario, seed: number): Promise<Violation[]> {
  const r = await runScenario({ ...scenario.input, seed, injectedBugs: [] })
  const inv = r.invariants.find((x) => x.name === scenario.catches.invariant)
  return inv?.violations.filter((v) => v.rule === scenario.catches.rule) ?? []
}

async function main (argv: string[]): Promise<number> {
  const program = new Command('injected-bug-sweep')
    .description('runs every injected bug\'s scenario until an invariant catches it (at most --seeds seeds), with a control run of the same seed without the bug')
    .option('--seeds <n>', 'most seeds per bug', String(SEED_BOUND))
    .option('--from <seed>', 'first seed', '1')
    .option('--bug <name...>', `only these bugs (${INJECTED_BUGS.join(', ')})`)
    .exitOverride()
  program.parse(argv, { from: 'user' })
  const o = program.opts<{ seeds: string, from: string, bug?: string[] }>()
  const seeds = Number(o.seeds)
  const from = Number(o.from)
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new FlotillaError('input-invalid', `'--seeds' must be a whole number >= 1: received ${JSON.stringify(o.seeds)}`, 'Pass e.g. --seeds 200.')
  if (!Number.isSafeInteger(from) || from < 0) throw new FlotillaError('input-invalid', `'--from' must be a whole number >= 0: received ${JSON.stringify(o.from)}`, 'Pass e.g. --from 1.')
  for (const b of o.bug ?? []) {
    if (!(INJECTED_BUGS as readonly string[]).includes(b)) throw new FlotillaError('input-invalid', `'--bug' must be one of ${INJECTED_BUGS.join(', ')}: received ${JSON.stringify(b)}`, 'Name a known injected bug.')
  }
  const chosen = BUG_SCENARIOS.filter((s) => o.bug === undefined || o.bug.includes(s.bug as InjectedBug))
  let failed = 0
  for (const s of chosen) {
    const started = Date.now()
    const caught = await firstCatch(s, { from, seeds })
    if (caught === undefined) {
      failed++
      process.stdout.write(`${s.bug}: NOT CAUGHT by ${s.catches.invariant}/${s.catches.rule} in seeds ${from}..${from + seeds - 1}\n`)
      continue
    }
    const clean = await control(s, caught.seed)
    if (clean.length > 0) failed++
    process.stdout.write(`${s.bug}: caught by ${s.catches.invariant}/${s.catches.rule} at seed ${caught.seed} (${caught.tried} seed${caught.tried === 1 ? '' : 's'} run, ${((Date.now() - started) / 1000).toFixed(1)} s wall)` +
      ` at ${(caught.violation.timeMs / 1000).toFixed(1)} s virtual: ${caught.violation.message}\n` +
      `  control (same seed, bug off): ${clean.length === 0 ? 'no violation of that rule' : `FAILED: ${clean[0]!.message}`}\n`)
  }
  process.stdout.write(`\n${chosen.length - failed} of ${chosen.length} injected bugs caught within ${seeds} seeds with clean controls\n`)
  return failed === 0 ? 0 : 1
}

await runAsScript(import.meta.url, main)
