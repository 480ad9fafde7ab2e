/**
 * `flotilla sim`: runs one deterministic simulation — N sites of the real core on virtual
 * time, with faults and Byzantine peers drawn from one seed — prints the verdict of every
 * invariant, the trace hash and the command that replays the run (or, with `-o json`,
 * all of it as one JSON line), optionally writes a JSON and HTML report, and exits 1
 * when an invariant was violated.
 */
import type { Command } from 'commander'
import { addScenarioOptions, replayCommand, scenarioFromFlags } from '../../../sim/cli-args.ts'
import { SCENARIOS } from '../../../sim/scenarios/index.ts'
import { FlotillaError } from '../../model/errors.ts'
import type { CliStreams } from '../output.ts'
import { addOutputOption } from '../client/connection.ts'
import { parseOutputFormat, printAs, type OutputFormat } from '../format/output-format.ts'

interface SimCommandFlags {
  seed?: string
  report?: string
  json?: boolean
  output: string
  list?: boolean
  stopOnViolation?: boolean
  [flag: string]: string | boolean | undefined
}

export function registerSimCommand (program: Command, streams: CliStreams): void {
  const cmd = addScenarioOptions(program.command('sim'))
    .description('run a deterministic simulation of a federation (virtual time, faults, Byzantine peers) and check its invariants')
    .option('--seed <seed>', 'seed of the run (an integer or a string); the same seed replays it exactly', '1')
    .option('--report <dir>', 'write report.json and report.html there')
    .option('--json', 'the same as -o json (kept for scripts written before -o)')
    .option('--stop-on-violation', 'stop at the first violation')
    .option('--list', 'list the named scenarios and exit')
  addOutputOption(cmd)
  cmd.action(async (flags: SimCommandFlags) => {
    const format = simOutputFormat(flags, cmd.getOptionValueSource('output') !== 'default')
    process.exitCode = await runSimCommand(flags, format, streams)
  })
}

/** `--json` is `-o json`; said together with another -o, it is a contradiction, not a choice. */
function simOutputFormat (flags: SimCommandFlags, outputGiven: boolean): OutputFormat {
  const format = parseOutputFormat(flags.output)
  if (flags.json !== true) return format
  if (outputGiven && format !== 'json') {
    throw new FlotillaError('input-invalid', `'--json' contradicts '-o ${flags.output}'`, 'Use -o json (or its older spelling --json) for JSON, -o table for the summary.')
  }
  return 'json'
}

async function runSimCommand (flags: SimCommandFlags, format: OutputFormat, streams: CliStreams): Promise<number> {
  if (flags.list === true) {
    const scenarios = SCENARIOS.map((s) => ({ name: s.name, description: s.description }))
    printAs(streams, format, { kind: 'ScenarioList', items: scenarios }, () => scenarios.map((s) => `${s.name.padEnd(20)} ${s.description}\n`).join(''))
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
  const doc = { replay, ok: result.ok, traceHash: result.traceHash, invariants: result.invariants, stats: result.stats, internalErrors: result.internalErrors }
  printAs(streams, format, doc, () => summaryText(result, replay, written?.html), { jsonLine: true })
  return result.ok ? 0 : 1
}
