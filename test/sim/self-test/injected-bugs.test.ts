import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { activeBugs, bugActive, INJECTED_BUGS, setInjectedBugs } from '../../../src/testing/injected-bugs.ts'
import { scenarioFromFlags } from '../../../sim/cli-args.ts'
import { firstCatch } from '../../../sim/injected-bug-sweep.ts'
import { BUG_SCENARIOS } from '../../../sim/scenarios/injected-bugs.ts'

const ROOT = join(import.meta.dirname, '../../..')
/** Seeds tried in `npm test`; the full sweep (`sim/injected-bug-sweep.ts`) goes to 200. */
const QUICK_SEEDS = 4

async function sourceFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await sourceFiles(p))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out
}

describe('injected bugs: the simulator tests itself', () => {
  afterEach(() => { setInjectedBugs([]) })

  it('has a scenario for every injected bug', () => {
    expect(BUG_SCENARIOS.map((b) => b.bug).sort()).toEqual([...INJECTED_BUGS].sort())
  })

  for (const scenario of BUG_SCENARIOS) {
    it(`catches ${scenario.bug} with ${scenario.catches.invariant}/${scenario.catches.rule} within 200 seeds`, async () => {
      const caught = await firstCatch(scenario, { from: 1, seeds: QUICK_SEEDS })
      expect(caught, `${scenario.bug} was not caught in seeds 1..${QUICK_SEEDS}`).toBeDefined()
      expect(caught!.seed).toBeLessThanOrEqual(200)
      expect(caught!.violation.invariant).toBe(scenario.catches.invariant)
      expect(caught!.violation.rule).toBe(scenario.catches.rule)
      // The switch is off again once the run is over.
      expect(activeBugs()).toEqual([])
    }, 180_000)
  }

  it('is off unless switched on, and refuses unknown names', () => {
    for (const b of INJECTED_BUGS) expect(bugActive(b)).toBe(false)
    setInjectedBugs(['residency-filter-off'])
    expect(bugActive('residency-filter-off')).toBe(true)
    expect(bugActive('skip-signature-check')).toBe(false)
    expect(() => { setInjectedBugs(['no-such-bug' as never]) }).toThrow(/injectedBugs/)
  })

  it('cannot be switched on by any module under src/ nor by the sim command line', async () => {
    const callers: string[] = []
    for (const file of await sourceFiles(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file)
      if (rel === join('src', 'testing', 'injected-bugs.ts')) continue
      const text = await readFile(file, 'utf8')
      if (/\bsetInjectedBugs\b/.test(text)) callers.push(rel)
    }
    expect(callers).toEqual([])
    // Every scenario-shaping flag of `flotilla sim` leaves the bugs off.
    const input = scenarioFromFlags({ seed: '3', sites: '4', faults: 'all,byzantine=1', behaviours: 'forge', scenario: 'site-loss' })
    expect(input.injectedBugs ?? []).toEqual([])
  })
})
