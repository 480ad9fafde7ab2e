/**
 * `flotilla sim`: runs one deterministic simulation — N sites of the real core on virtual
 * time, with faults and Byzantine peers drawn from one seed — prints the verdict of every
 * invariant, the trace hash and the command that replays the run, optionally writes a
 * JSON and HTML report, and exits 1 when an invariant was violated.
 */
import type { Command } from 'commander'
import { addScenarioOptions, replayCommand, scenarioFromFlags } from '../../../sim/cli-args.ts'
import { SCENARIOS } from '../../../sim/scenarios/index.ts'
import type { CliStreams } from '../output.ts'

interface SimCommandFlags {
  seed?: string
  report?: string
  json?: boolean
  list?: boolean
  stopOnViolation?: boolean
  [flag: string]: string | boolean | undefined
}

export function registerSimCommand (program: Command, streams: CliStreams): void {
  const cmd = addScenarioOptions(program.command('sim'))
    .description('run a deterministic simulation of a federation (virtual time, faults, Byzantine peers) and check its invariants')
    .option('--seed <seed>', 'seed of the run (an integer or a string); the same seed replays it exactly', '1')
    .option('--report <dir>', 'write report.json and report.html there')
    .option('--json', 'print the result as JSON instead of the summary')
    .option('--stop-on-violation', 'stop at the first violation')
    .option('--list', 'list the named scenarios and exit')
  cmd.action(async (flags: SimCommandFlags) => { process.exitCode = await runSimCommand(flags, streams) })
}

async function runSimCommand (flags: SimCommandFlags, streams: CliStreams): Promise<number> {
  if (flags.list === true) {
    for (const s of SCENARIOS) streams.out(`${s.name.padEnd(20)} ${s.description}\n`)
    return 0
  }
  // Loaded on use, so other commands do not pay for the simulator (and the core) at startup.
  const { runScenario } = await import('../../../sim/run.ts')
  const { summaryText } = await import('../../../sim/report/summary.ts')
  const { writeReport } = await import('../../../sim/report/write.ts')
  const scenarioFlags = Object.fromEntries(Object.entries(flags).filter(([, v]) => typeof v === 'string')) as Record<string, string>
  const input = scenarioFromFlags(scenarioFlags)
  if (flags.stopOnViolation === true) input.checks = { ...input.checks, stopOnViolation: true }
  const result = await runScenario(input)
  const replay = replayCommand(scenarioFlags, result.options.seed)
  const written = flags.report === undefined ? undefined : await writeReport(flags.report, result, replay)
  if (flags.json === true) streams.out(JSON.stringify({ replay, ok: result.ok, traceHash: result.traceHash, invariants: result.invariants, stats: result.stats, internalErrors: result.internalErrors }) + '\n')
  else streams.out(summaryText(result, replay, written?.html))
  return result.ok ? 0 : 1
}
