/**
 * `npm run sim:swarm -- --seeds 1000 [--from 1] [--jobs 2] [scenario options]`: runs many
 * seeds of one scenario in child processes (one per core by default), each run stopping
 * at its first violation, and lists every failing seed with the one command that replays
 * it. `--inject-bug <name>` (a developer tool, never a site's) runs a deliberately broken
 * core to measure how many seeds the invariants need to catch it. A seed that runs past
 * `--seed-timeout` wall seconds is a hang: its worker is killed and the seed listed as
 * failing, so one stuck run cannot stall the swarm. Exits 1 when a seed failed (or, with
 * --inject-bug, when none did).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { FlotillaError } from '../src/model/errors.ts'
import { INJECTED_BUGS, type InjectedBug } from '../src/testing/injected-bugs.ts'
import { addScenarioOptions, replayArgs, replayCommand, runAsScript, scenarioFromFlags, type SimFlags } from './cli-args.ts'
import type { SeedVerdict, WorkerInit } from './swarm-worker.ts'

const WORKER = fileURLToPath(new URL('./swarm-worker.ts', import.meta.url))
/** Seeds a worker runs before it is replaced (keeps memory flat over long swarms). */
const RUNS_PER_WORKER = 25
/** Default wall-time limit of one seed: a standard seed takes seconds, 10 sites for 10 minutes about one. */
export const DEFAULT_SEED_TIMEOUT_MS = 600_000

export interface SwarmOptions {
  seeds: number
  from: number
  jobs: number
  bugs: InjectedBug[]
  flags: SimFlags
  /** Stop after this many failing seeds. */
  maxFailures: number
  /** Wall ms one seed may run before it counts as hung (default DEFAULT_SEED_TIMEOUT_MS). */
  seedTimeoutMs?: number
  onVerdict?: (v: SeedVerdict, done: number) => void
}

export interface SwarmResult {
  verdicts: SeedVerdict[]
  failing: SeedVerdict[]
  wallMs: number
  seedsPerMinute: number
}

export async function runSwarm (o: SwarmOptions): Promise<SwarmResult> {
  const input = scenarioFromFlags(o.flags)
  const queue = Array.from({ length: o.seeds }, (_, i) => o.from + i)
  const verdicts: SeedVerdict[] = []
  const failing: SeedVerdict[] = []
  const started = performance.now()
  const seedTimeoutMs = o.seedTimeoutMs ?? DEFAULT_SEED_TIMEOUT_MS
  let stopping = false

  const worker = async (): Promise<void> => {
    let child: ChildProcess | undefined
    let runs = 0
    const spawn = (): ChildProcess => {
      const c = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      const init: WorkerInit = { type: 'init', input, bugs: o.bugs }
      c.send(init)
      return c
    }
    try {
      while (!stopping) {
        const seed = queue.shift()
        if (seed === undefined) break
        if (child === undefined || runs >= RUNS_PER_WORKER) {
          child?.send({ type: 'exit' })
          child = spawn()
          runs = 0
        }
        runs++
        const c = child
        const v = await new Promise<SeedVerdict>((resolve) => {
          const failed = (failure: string): SeedVerdict => ({ type: 'verdict', seed, ok: false, traceHash: '', wallMs: 0, virtualMs: 0, worker: c.pid ?? 0, failures: [failure] })
          const onMessage = (m: SeedVerdict): void => { if (m.type === 'verdict' && m.seed === seed) { cleanup(); resolve(m) } }
          const onExit = (code: number | null): void => {
            cleanup()
            child = undefined
            resolve(failed(`simulator error: the worker exited (code ${String(code)}) while running this seed`))
          }
          const hung = setTimeout(() => {
            cleanup()
            child = undefined
            c.kill('SIGKILL')
            resolve(failed(`simulator error: the run did not finish within ${seedTimeoutMs / 1000} s of wall time (a hang); replay the seed to see where it stalls`))
          }, seedTimeoutMs)
          const cleanup = (): void => { clearTimeout(hung); c.off('message', onMessage); c.off('exit', onExit) }
          c.on('message', onMessage)
          c.on('exit', onExit)
          c.send({ type: 'run', seed })
        })
        verdicts.push(v)
        if (!v.ok) {
          failing.push(v)
          if (failing.length >= o.maxFailures) stopping = true
        }
        o.onVerdict?.(v, verdicts.length)
      }
    } finally {
      child?.send({ type: 'exit' })
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker))
  const wallMs = performance.now() - started
  return { verdicts: verdicts.sort((a, b) => a.seed - b.seed), failing: failing.sort((a, b) => a.seed - b.seed), wallMs, seedsPerMinute: verdicts.length / (wallMs / 60_000) }
}

/** The one command that replays a failing seed of this swarm. */
export function swarmReplay (flags: SimFlags, bugs: readonly InjectedBug[], seed: number): string {
  if (bugs.length === 0) return replayCommand(flags, seed)
  return `npm run -s sim:swarm -- ${[...replayArgs(flags), ...bugs.flatMap((b) => ['--inject-bug', b]), '--from', String(seed), '--seeds', '1', '--jobs', '1'].join(' ')}`
}

function positive (flag: string, v: string, min: number): number {
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < min) throw new FlotillaError('input-invalid', `'--${flag}' must be an integer >= ${min}: received ${JSON.stringify(v)}`, `Pass e.g. --${flag} ${min}.`)
  return n
}

async function main (argv: string[]): Promise<number> {
  const program = addScenarioOptions(new Command('sim:swarm'))
    .description('run many seeds of a simulation scenario in parallel and list the failing ones')
    .option('--seeds <n>', 'how many seeds', '100')
    .option('--from <seed>', 'first seed', '1')
    .option('--jobs <n>', 'worker processes (default: one per core)')
    .option('--max-failures <n>', 'stop after this many failing seeds', '1000000')
    .option('--seed-timeout <s>', 'wall seconds one seed may run before it counts as hung', String(DEFAULT_SEED_TIMEOUT_MS / 1000))
    .option('--inject-bug <name...>', `test only: run a deliberately broken core (${INJECTED_BUGS.join(', ')})`)
    .option('--json', 'print the result as JSON')
    .exitOverride()
  program.parse(argv, { from: 'user' })
  const opts = program.opts<SimFlags & { seeds: string, from: string, jobs?: string, maxFailures: string, seedTimeout: string, injectBug?: string[], json?: boolean }>()
  const bugs = (opts.injectBug ?? []).map((b) => {
    if (!(INJECTED_BUGS as readonly string[]).includes(b)) throw new FlotillaError('input-invalid', `'--inject-bug' must be one of ${INJECTED_BUGS.join(', ')}: received ${JSON.stringify(b)}`, 'Name a known injected bug.')
    return b as InjectedBug
  })
  const flags: SimFlags = Object.fromEntries(Object.entries(opts).filter(([k, v]) => typeof v === 'string' && !['seeds', 'from', 'jobs', 'maxFailures', 'seedTimeout'].includes(k))) as SimFlags
  const seeds = positive('seeds', opts.seeds, 1)
  const result = await runSwarm({
    seeds, from: positive('from', opts.from, 0), jobs: opts.jobs === undefined ? availableParallelism() : positive('jobs', opts.jobs, 1),
    bugs, flags, maxFailures: positive('max-failures', opts.maxFailures, 1), seedTimeoutMs: positive('seed-timeout', opts.seedTimeout, 1) * 1000,
    onVerdict: (v, done) => {
      if (opts.json === true) return
      if (!v.ok) process.stdout.write(`seed ${v.seed} FAILED: ${v.failures[0] ?? '?'}\n`)
      if (done % 10 === 0 || done === seeds) process.stdout.write(`  ${done}/${seeds} seeds run\n`)
    }
  })
  if (opts.json === true) {
    process.stdout.write(JSON.stringify({ seeds: result.verdicts.length, failing: result.failing.map((f) => ({ seed: f.seed, failures: f.failures, replay: swarmReplay(flags, bugs, f.seed) })), seedsPerMinute: result.seedsPerMinute, wallMs: result.wallMs }) + '\n')
  } else {
    process.stdout.write(`\n${result.verdicts.length} seeds in ${(result.wallMs / 1000).toFixed(1)} s (${result.seedsPerMinute.toFixed(1)} seeds/min), ${result.failing.length} failing${bugs.length > 0 ? ` with injected bug(s) ${bugs.join(', ')}` : ''}\n`)
    for (const f of result.failing) {
      process.stdout.write(`\nseed ${f.seed}:\n${f.failures.map((x) => `  ${x}`).join('\n')}\n  replay: ${swarmReplay(flags, bugs, f.seed)}\n`)
    }
  }
  if (bugs.length > 0) return result.failing.length > 0 ? 0 : 1
  return result.failing.length === 0 ? 0 : 1
}

await runAsScript(import.meta.url, main)
