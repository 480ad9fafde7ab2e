/**
 * `npm run -s bench -- <suite> [--json]`: runs one benchmark suite from `bench/suites/<suite>.ts`.
 * With --json prints exactly one JSON object on stdout
 * (`{"suite", "machine", "metrics": {name: number}}`, baselines included as metrics of
 * their own); otherwise a readable table with baseline, ratio and target per metric.
 */
import { cpus, totalmem } from 'node:os'
import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { meetsTarget, type BenchMetric, type BenchSuite } from './contract.ts'
import { isFlotillaError } from '../src/model/errors.ts'

const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url))

export function machineDescription (): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  return `${cpu} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}-${process.arch}`
}

export function toJson (suite: string, metrics: readonly BenchMetric[]): string {
  const flat: Record<string, number> = {}
  for (const m of metrics) {
    flat[m.name] = m.value
    if (m.baseline !== undefined) flat[m.baseline.name] = m.baseline.value
  }
  return JSON.stringify({ suite, machine: machineDescription(), metrics: flat })
}

function fmt (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 100) return n.toFixed(0)
  if (Math.abs(n) >= 1) return n.toFixed(2)
  return n.toPrecision(3)
}

export function toTable (suite: string, metrics: readonly BenchMetric[]): string {
  const rows = [['metric', 'value', 'baseline (same run)', 'ratio', 'target', 'ok']]
  for (const m of metrics) {
    const ok = meetsTarget(m)
    rows.push([
      m.name,
      `${fmt(m.value)} ${m.unit}`,
      m.baseline === undefined ? '-' : `${m.baseline.name} = ${fmt(m.baseline.value)}`,
      m.baseline === undefined || m.baseline.value === 0 ? '-' : `${fmt(m.value / m.baseline.value)}x`,
      m.target === undefined ? '-' : `${m.target.op} ${fmt(m.target.value)}`,
      ok === undefined ? '-' : ok ? 'yes' : 'NO'
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())
  const notes = metrics.filter((m) => m.note !== undefined).map((m) => `  ${m.name}: ${m.note ?? ''}`)
  return [`suite ${suite} on ${machineDescription()}`, ...lines, ...(notes.length > 0 ? ['notes:', ...notes] : [])].join('\n') + '\n'
}

function availableSuites (): string[] {
  return readdirSync(suitesDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
}

export interface BenchArgs {
  /** The first argument that is not a flag; undefined when none is given. */
  suite: string | undefined
  json: boolean
  /** What the suite gets: every argument but the suite name and the runner's own `--json`. */
  suiteArgs: string[]
}

/**
 * Splits `npm run bench -- ...` arguments between the runner and the suite. The name may
 * follow the runner's flags (`-- --json store`), so it is removed where it stands rather
 * than assumed to be first.
 */
export function parseBenchArgs (argv: readonly string[]): BenchArgs {
  const at = argv.findIndex((a) => !a.startsWith('--'))
  return {
    suite: at < 0 ? undefined : argv[at],
    json: argv.includes('--json'),
    suiteArgs: argv.filter((a, i) => i !== at && a !== '--json')
  }
}

async function main (argv: string[]): Promise<number> {
  const { suite: name, json, suiteArgs } = parseBenchArgs(argv)
  if (name === undefined || !/^[a-z0-9-]+$/.test(name) || !existsSync(`${suitesDir}${name}.ts`)) {
    process.stderr.write(`error[input-invalid]: ${name === undefined ? 'no suite given' : `no benchmark suite "${name}"`}\n  hint: run \`npm run bench -- <suite>\`; suites: ${availableSuites().join(', ')}\n`)
    return 2
  }
  const mod = await import(/* @vite-ignore */ pathToFileURL(`${suitesDir}${name}.ts`).href) as { default: BenchSuite }
  let metrics: BenchMetric[]
  try {
    metrics = await mod.default.run(suiteArgs)
  } catch (e) {
    // Bad arguments and expected failures say what and how to fix, without a stack.
    if (!isFlotillaError(e)) throw e
    process.stderr.write(`error[${e.code}]: ${e.message}\n  hint: ${e.hint}\n`)
    return 2
  }
  process.stdout.write(json ? toJson(name, metrics) + '\n' : toTable(name, metrics))
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}
