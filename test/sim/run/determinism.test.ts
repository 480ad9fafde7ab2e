import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAULT_KINDS, type ScenarioInput } from '../../../sim/runner/options.ts'
import { runScenario, type RunResult } from '../../../sim/run.ts'
import { writeReport } from '../../../sim/report/write.ts'
import { summaryText } from '../../../sim/report/summary.ts'

/** Four sites, every random fault kind at a short mean interval and one Byzantine site: small, but every source of randomness is in play. */
const small: ScenarioInput = {
  sites: 4,
  regions: 2,
  durationMs: 30_000,
  workload: { deploymentsPerSite: 2, changeEveryMs: 4_000 },
  faults: { kinds: [...FAULT_KINDS], meanIntervalMs: 4_000, byzantine: 1, warmupMs: 4_000, quietTailMs: 10_000 }
}

describe('a simulated run replays exactly from its seed', () => {
  let first: RunResult
  let again: RunResult
  let other: RunResult

  beforeAll(async () => {
    first = await runScenario({ ...small, seed: 7 })
    again = await runScenario({ ...small, seed: 7 })
    other = await runScenario({ ...small, seed: 8 })
  }, 120_000)

  it('gives the same trace hash, plan and timeline for the same seed', () => {
    expect(first.internalErrors).toEqual([])
    expect(first.stats.traceRecords).toBeGreaterThan(100)
    expect(first.plan.length).toBeGreaterThan(0)
    expect(again.traceHash).toBe(first.traceHash)
    expect(again.stats.traceRecords).toBe(first.stats.traceRecords)
    expect(again.plan).toEqual(first.plan)
    expect(again.timeline).toEqual(first.timeline)
    expect(again.stats.events).toBe(first.stats.events)
  })

  it('gives a different trace for a different seed', () => {
    expect(other.internalErrors).toEqual([])
    expect(other.traceHash).not.toBe(first.traceHash)
    expect(other.plan).not.toEqual(first.plan)
  })

  it('prints the trace hash and the command that replays the run', () => {
    const text = summaryText(first, 'npm run sim -- --sites 4 --seed 7')
    expect(text).toContain(`trace hash ${first.traceHash}`)
    expect(text).toContain('replay: npm run sim -- --sites 4 --seed 7')
    for (const name of ['convergence', 'safety', 'residency', 'availability', 'durability']) expect(text).toMatch(new RegExp(`${name} +(PASS|FAIL)`))
  })

  describe('report', () => {
    let dir: string
    beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'flotilla-sim-report-')) })
    afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

    it('writes the whole result as JSON and a self-contained HTML page with a timeline', async () => {
      const { json, html } = await writeReport(dir, first, 'npm run sim -- --seed 7')
      const parsed = JSON.parse(await readFile(json, 'utf8')) as RunResult & { replay: string }
      expect(parsed.traceHash).toBe(first.traceHash)
      expect(parsed.replay).toBe('npm run sim -- --seed 7')
      expect(parsed.timeline.length).toBe(first.timeline.length)
      expect(Object.keys(parsed.series.lag)).toEqual(first.sites.map((s) => s.id))
      const page = await readFile(html, 'utf8')
      expect(page).toMatch(/^<!doctype html>/)
      // Self-contained: no script, no external stylesheet, image or font.
      expect(page).not.toMatch(/<script|<link |src="http|url\(http/)
      expect(page).toContain('<h2>Timeline</h2>')
      expect(page).toContain('Convergence lag per honest site')
      for (const s of first.sites) expect(page).toContain(`>${s.id} ${s.region}`)
      // Faults of the plan that were applied show on the timeline (bands, down spans, markers).
      const shown = first.timeline.filter((e) => e.kind === 'partition' || e.kind === 'crash' || e.kind === 'site-loss' || e.kind === 'not-ready')
      for (const e of shown) expect(page).toContain(e.detail.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'))
    })
  })
})
