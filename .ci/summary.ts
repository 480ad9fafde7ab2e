/**
 * The closing lines of `.ci/run` once the tests have been started: a reason line when
 * something went wrong, then always "N passed, N failed, N skipped", taken from vitest's
 * JSON report. A test that neither passed, failed nor was skipped (still running when a
 * worker died) and a test file that failed outside its tests (a load error, a hook) count
 * as failed, so the line never hides lost tests; skipped tests are counted so a run that
 * skipped half the suite (no kubectl, no Chromium) cannot pass for a clean one.
 *
 * Run as `node .ci/summary.ts <npm test status> <report file> <vitest-started mark>`;
 * exits with the status `.ci/run` should exit with.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface TestCounts {
  passed: number
  failed: number
  skipped: number
  /** Files that failed with no failed test of their own, each counted once in `failed`. */
  brokenFiles: number
}

export interface SummaryInput {
  /** Exit status of `npm test`. */
  status: number
  /** The report's text; undefined when vitest wrote none. */
  report: string | undefined
  /** Whether vitest loaded its config, i.e. typecheck and lint had passed. */
  vitestStarted: boolean
}

export interface Summary {
  lines: string[]
  /** What `.ci/run` exits with: npm test's status, never 0 when no report says the tests ran. */
  status: number
}

interface FileResult { status: string, assertionResults: Array<{ status: string }> }

const SKIPPED = new Set(['skipped', 'todo', 'disabled'])

function isFileResult (v: unknown): v is FileResult {
  if (typeof v !== 'object' || v === null) return false
  const f = v as Record<string, unknown>
  return typeof f.status === 'string' && Array.isArray(f.assertionResults) &&
    f.assertionResults.every((a: unknown) => typeof a === 'object' && a !== null && typeof (a as Record<string, unknown>).status === 'string')
}

/** Counts the tests of a parsed vitest JSON report; throws when it is not one. */
export function countTests (report: unknown): TestCounts {
  const files = (report as { testResults?: unknown } | null)?.testResults
  if (!Array.isArray(files) || !files.every(isFileResult)) throw new Error('it has no testResults with per-test statuses')
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0 }
  for (const file of files) {
    let failedHere = 0
    for (const t of file.assertionResults) {
      if (t.status === 'passed') counts.passed++
      else if (SKIPPED.has(t.status)) counts.skipped++
      else failedHere++
    }
    if (file.status === 'failed' && failedHere === 0) { failedHere = 1; counts.brokenFiles++ }
    counts.failed += failedHere
  }
  return counts
}

export function summaryLine (c: { passed: number, failed: number, skipped: number }): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`
}

const NOTHING = summaryLine({ passed: 0, failed: 0, skipped: 0 })

export function summarize (input: SummaryInput): Summary {
  const failedStatus = input.status === 0 ? 1 : input.status
  if (input.report === undefined) {
    const why = input.vitestStarted
      ? `vitest wrote no report (npm test exited ${input.status}): it crashed or was killed before the run ended`
      : `typecheck or lint failed, or vitest did not start, before any test ran (npm test exited ${input.status})`
    return { lines: [`ci: ${why}`, NOTHING], status: failedStatus }
  }
  let counts: TestCounts
  try {
    counts = countTests(JSON.parse(input.report))
  } catch (e) {
    return { lines: [`ci: vitest's report is unreadable (${(e as Error).message}; npm test exited ${input.status})`, NOTHING], status: failedStatus }
  }
  const lines: string[] = []
  if (counts.brokenFiles > 0) lines.push(`ci: ${counts.brokenFiles} test file(s) failed outside their tests (a load error or a hook), each counted as one failure`)
  if (input.status !== 0 && counts.failed === 0) lines.push(`ci: npm test exited ${input.status} although no test failed: see vitest's errors above`)
  if (input.status === 0 && counts.passed + counts.failed === 0) lines.push('ci: no test ran')
  lines.push(summaryLine(counts))
  return { lines, status: input.status === 0 && counts.failed > 0 ? 1 : input.status }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [status, reportFile, startedMark] = process.argv.slice(2)
  const report = reportFile !== undefined && existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : undefined
  const code = Number(status)
  const result = summarize({
    status: Number.isInteger(code) ? code : 1,
    report: report === undefined || report === '' ? undefined : report,
    vitestStarted: startedMark !== undefined && existsSync(startedMark)
  })
  process.stdout.write(result.lines.join('\n') + '\n')
  process.exitCode = result.status
}
