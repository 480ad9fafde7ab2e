/**
 * The last line of `.ci/run`: the counts from vitest's JSON report (lost tests and broken
 * files counted as failed, skipped tests shown), and — through a copy of the script run
 * with stand-ins for apt-get and npm on a PATH of their own — a truthful reason and a
 * summary line however the run ends.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { countTests, summarize } from '../../.ci/summary.ts'

const repo = join(import.meta.dirname, '../..')
const root = mkdtempSync(join(tmpdir(), 'flotilla-ci-summary-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

function file (status: 'passed' | 'failed', tests: string[]): { status: string, assertionResults: Array<{ status: string }> } {
  return { status, assertionResults: tests.map((s) => ({ status: s })) }
}

function report (...files: Array<ReturnType<typeof file>>): string {
  return JSON.stringify({ numTotalTests: 0, testResults: files })
}

describe('counting a vitest report', () => {
  it('counts passed, failed and skipped tests, todo among the skipped', () => {
    const r = JSON.parse(report(file('passed', ['passed', 'passed', 'skipped']), file('failed', ['failed', 'passed', 'todo'])))
    expect(countTests(r)).toEqual({ passed: 3, failed: 1, skipped: 2, brokenFiles: 0 })
  })

  it('counts a test still running when the report was written as failed', () => {
    expect(countTests(JSON.parse(report(file('failed', ['passed', 'pending']))))).toMatchObject({ passed: 1, failed: 1 })
  })

  it('counts a file that failed outside its tests once, as failed', () => {
    expect(countTests(JSON.parse(report(file('failed', []), file('failed', ['passed']))))).toEqual({ passed: 1, failed: 2, skipped: 0, brokenFiles: 2 })
  })

  it('refuses something that is not a vitest report', () => {
    expect(() => countTests({ numPassedTests: 3 })).toThrow(/no testResults/)
    expect(() => countTests({ testResults: [{ status: 'passed' }] })).toThrow(/no testResults/)
  })
})

describe('the closing lines', () => {
  it('ends with "N passed, N failed, N skipped" and keeps a clean exit', () => {
    expect(summarize({ status: 0, report: report(file('passed', ['passed', 'skipped'])), vitestStarted: true }))
      .toEqual({ lines: ['1 passed, 0 failed, 1 skipped'], status: 0 })
  })

  it('says typecheck or lint failed only when vitest never started', () => {
    const s = summarize({ status: 2, report: undefined, vitestStarted: false })
    expect(s.lines).toEqual(['ci: typecheck or lint failed, or vitest did not start, before any test ran (npm test exited 2)', '0 passed, 0 failed, 0 skipped'])
    expect(s.status).toBe(2)
  })

  it('says vitest wrote no report when it started and crashed', () => {
    const s = summarize({ status: 137, report: undefined, vitestStarted: true })
    expect(s.lines[0]).toBe('ci: vitest wrote no report (npm test exited 137): it crashed or was killed before the run ended')
    expect(s.lines.at(-1)).toBe('0 passed, 0 failed, 0 skipped')
    expect(s.status).toBe(137)
  })

  it('never exits 0 without a readable report or with a failed test', () => {
    expect(summarize({ status: 0, report: undefined, vitestStarted: true }).status).toBe(1)
    const unreadable = summarize({ status: 0, report: '{"testResults":', vitestStarted: true })
    expect(unreadable.status).toBe(1)
    expect(unreadable.lines[0]).toMatch(/^ci: vitest's report is unreadable \(/)
    expect(summarize({ status: 0, report: report(file('failed', [])), vitestStarted: true }).status).toBe(1)
  })

  it('explains a failing exit with no failed test, and a run with no test', () => {
    expect(summarize({ status: 1, report: report(file('passed', ['passed'])), vitestStarted: true }).lines)
      .toEqual(['ci: npm test exited 1 although no test failed: see vitest\'s errors above', '1 passed, 0 failed, 0 skipped'])
    expect(summarize({ status: 0, report: report(file('passed', ['skipped'])), vitestStarted: true }).lines)
      .toEqual(['ci: no test ran', '0 passed, 0 failed, 1 skipped'])
  })
})

describe('vitest.config.ts', () => {
  it('leaves the started mark that tells a crash from a failed typecheck', async () => {
    const mark = join(root, 'started-by-config')
    process.env.FLOTILLA_TEST_STARTED = mark
    try {
      await import('../../vitest.config.ts')
    } finally {
      delete process.env.FLOTILLA_TEST_STARTED
    }
    expect(existsSync(mark)).toBe(true)
  })
})

/**
 * A copy of `.ci/run` in a directory of its own, with the project's summary script and
 * Node, and a PATH holding only the few tools it uses plus stand-ins: `apt-get` and `npm`
 * do what the test says and touch nothing, and kubectl and ip are absent, so the script
 * always takes its install step.
 */
function sandbox (name: string, npm: { ci?: number, test?: number, started?: boolean, report?: string }, aptUpdate = 0): { code: number | null, lines: string[] } {
  const dir = join(root, name)
  const bin = join(dir, 'bin')
  mkdirSync(join(dir, '.ci'), { recursive: true })
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true })
  mkdirSync(bin)
  copyFileSync(join(repo, '.ci/run'), join(dir, '.ci/run'))
  copyFileSync(join(repo, '.ci/summary.ts'), join(dir, '.ci/summary.ts'))
  symlinkSync(process.execPath, join(dir, 'node_modules', '.bin', 'node'))
  for (const tool of ['dirname', 'mktemp', 'tail', 'grep', 'cat']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool))
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\n[ "$1" = update ] && exit ${aptUpdate}\nexit 0\n`, { mode: 0o755 })
  const reportFile = join(dir, 'fixture.json')
  if (npm.report !== undefined) writeFileSync(reportFile, npm.report)
  writeFileSync(join(bin, 'npm'), [
    '#!/bin/sh',
    `[ "$1" = ci ] && exit ${npm.ci ?? 0}`,
    ...(npm.started === true ? [': > "$FLOTILLA_TEST_STARTED"'] : []),
    ...(npm.report !== undefined ? [`cat "${reportFile}" > "$FLOTILLA_TEST_JSON"`] : []),
    `exit ${npm.test ?? 0}`,
    ''
  ].join('\n'), { mode: 0o755 })
  const r = spawnSync('/bin/bash', [join(dir, '.ci/run')], { env: { PATH: bin, HOME: dir, TMPDIR: dir }, encoding: 'utf8', timeout: 30_000 })
  return { code: r.status, lines: r.stdout.trimEnd().split('\n') }
}

describe('.ci/run with stand-ins for apt-get and npm', () => {
  it('ends on the summary when an install step fails', () => {
    const apt = sandbox('apt-fails', {}, 100)
    expect(apt.code).toBe(100)
    expect(apt.lines.slice(-2)).toEqual(['ci: setup failed: apt-get update exited 100', '0 passed, 0 failed, 0 skipped'])
    const npm = sandbox('npm-ci-fails', { ci: 1 })
    expect(npm.code).toBe(1)
    expect(npm.lines.slice(-2)).toEqual(['ci: setup failed: npm ci exited 1', '0 passed, 0 failed, 0 skipped'])
  })

  it('tells a failed typecheck or lint from a vitest that crashed', () => {
    const lint = sandbox('lint-fails', { test: 2 })
    expect(lint.code).toBe(2)
    expect(lint.lines.slice(-2)).toEqual(['ci: typecheck or lint failed, or vitest did not start, before any test ran (npm test exited 2)', '0 passed, 0 failed, 0 skipped'])
    const crash = sandbox('vitest-crashes', { test: 1, started: true })
    expect(crash.code).toBe(1)
    expect(crash.lines.slice(-2)).toEqual(['ci: vitest wrote no report (npm test exited 1): it crashed or was killed before the run ended', '0 passed, 0 failed, 0 skipped'])
  })

  it('prints the counts from the report last and exits as npm test did', () => {
    const ok = sandbox('passes', { started: true, report: report(file('passed', ['passed', 'passed', 'skipped'])) })
    expect(ok.code).toBe(0)
    expect(ok.lines.at(-1)).toBe('2 passed, 0 failed, 1 skipped')
    const failed = sandbox('fails', { test: 1, started: true, report: report(file('failed', ['passed', 'failed'])) })
    expect(failed.code).toBe(1)
    expect(failed.lines.at(-1)).toBe('1 passed, 1 failed, 0 skipped')
  })
})
