import { describe, expect, it } from 'vitest'
import { runScenario } from '../../../sim/run.ts'
import { summaryText } from '../../../sim/report/summary.ts'

describe('a simulated run whose Automerge heap fills up', () => {
  it('stops short of the limit with a simulator error that names the fix, and keeps what it reached', async () => {
    // A stop size the heap has already passed: the first check ends the run.
    const r = await runScenario({ seed: 3, sites: 3, durationMs: 60_000 }, { heapStopBytes: 1 })
    expect(r.ok).toBe(false)
    expect(r.stats.virtualMs).toBeLessThan(60_000)
    expect(r.stats.events).toBeGreaterThan(0)
    expect(r.internalErrors).toHaveLength(1)
    expect(r.internalErrors[0]).toMatch(/WebAssembly heap reached .* GiB of the 4 GiB/)
    expect(r.internalErrors[0]).toContain('3 simulated sites')
    expect(r.internalErrors[0]).toContain('Run fewer sites (--sites) or a shorter --duration')
    expect(summaryText(r, 'npm run sim -- --sites 3 --seed 3')).toContain('SIMULATOR ERROR: Automerge\'s WebAssembly heap reached')
  })
})

describe('a simulated run whose JavaScript heap fills up', () => {
  it('stops before V8 would abort the process, with a simulator error that names the fix, and keeps what it reached', async () => {
    // Statistics that say the heap is nearly full: the first check ends the run.
    const r = await runScenario({ seed: 3, sites: 3, durationMs: 60_000 }, {
      jsHeap: { checkEvery: 1, stats: () => ({ used_heap_size: 3600 * 2 ** 20, heap_size_limit: 4000 * 2 ** 20 }) }
    })
    expect(r.ok).toBe(false)
    expect(r.stats.virtualMs).toBeLessThan(60_000)
    expect(r.stats.events).toBeGreaterThan(0)
    expect(r.internalErrors).toEqual([expect.stringMatching(/^the JavaScript heap reached 3600 MiB of its 4000 MiB limit at \d+\.\d virtual s \(3 simulated sites in one process\)/)])
    expect(r.internalErrors[0]).toContain('--max-old-space-size')
  })

  it('runs on while the heap stays below its stop share', async () => {
    const r = await runScenario({ seed: 3, sites: 3, durationMs: 20_000 }, {
      jsHeap: { checkEvery: 1, stats: () => ({ used_heap_size: 3000 * 2 ** 20, heap_size_limit: 4000 * 2 ** 20 }) }
    })
    expect(r.internalErrors).toEqual([])
    expect(r.stats.virtualMs).toBe(20_000)
  })
})
