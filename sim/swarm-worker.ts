/**
 * A swarm worker: a child process that runs the seeds its parent sends, one at a time,
 * with the scenario options it was started with, and answers each with a short verdict.
 * Runs stop at their first violation (a swarm wants the failing seeds, not every detail;
 * the replay gives those).
 */
import { INJECTED_BUGS, type InjectedBug } from '../src/testing/injected-bugs.ts'
import { runScenario } from './run.ts'
import type { ScenarioInput } from './runner/options.ts'

export interface WorkerInit { type: 'init', input: ScenarioInput, bugs: InjectedBug[] }
export interface WorkerRun { type: 'run', seed: number }
export interface SeedVerdict {
  type: 'verdict'
  seed: number
  ok: boolean
  traceHash: string
  wallMs: number
  virtualMs: number
  /** Process id of the worker that ran the seed. */
  worker: number
  /** `invariant/rule: message` of the first violations, and simulator errors. */
  failures: string[]
}

let input: ScenarioInput | undefined
let bugs: InjectedBug[] = []

process.on('message', (m: WorkerInit | WorkerRun | { type: 'exit' }) => {
  if (m.type === 'exit') { process.exit(0) }
  if (m.type === 'init') {
    input = m.input
    bugs = m.bugs.filter((b) => (INJECTED_BUGS as readonly string[]).includes(b))
    return
  }
  void runOne(m.seed)
})

async function runOne (seed: number): Promise<void> {
  if (input === undefined) throw new Error('swarm worker got a seed before its options')
  let verdict: SeedVerdict
  try {
    const r = await runScenario({ ...input, seed, injectedBugs: bugs, checks: { ...input.checks, stopOnViolation: true } })
    const failures = [
      ...r.invariants.flatMap((i) => i.violations.slice(0, 2).map((v) => `${i.name}/${v.rule} at ${(v.timeMs / 1000).toFixed(1)} s: ${v.message}`)),
      ...r.internalErrors.map((e) => `simulator error: ${e.split('\n')[0] ?? ''}`)
    ]
    verdict = { type: 'verdict', seed, ok: r.ok, traceHash: r.traceHash, wallMs: r.stats.wallMs, virtualMs: r.stats.virtualMs, worker: process.pid, failures }
  } catch (e) {
    verdict = { type: 'verdict', seed, ok: false, traceHash: '', wallMs: 0, virtualMs: 0, worker: process.pid, failures: [`simulator error: ${(e as Error).message}`] }
  }
  process.send?.(verdict)
}
