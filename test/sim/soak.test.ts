import { describe, expect, it } from 'vitest'
import { scenarioFromFlags } from '../../sim/cli-args.ts'
import { resolveScenario } from '../../sim/runner/options.ts'
import { planSoak, SOAK_PLAN } from '../../sim/soak.ts'
import { isFlotillaError } from '../../src/model/errors.ts'

describe('soak plan', () => {
  it('resolves every sweep to valid scenario options, longer or harsher than the scenario alone', () => {
    for (const s of SOAK_PLAN) {
      const o = resolveScenario(scenarioFromFlags({ ...s.flags, seed: String(s.from) }))
      const plain = resolveScenario(scenarioFromFlags({ scenario: s.flags.scenario!, seed: String(s.from) }))
      const harsher = o.durationMs > plain.durationMs || o.sites > plain.sites || o.network.loss > plain.network.loss || o.network.reorder > plain.network.reorder ||
        o.faults.kinds.length > plain.faults.kinds.length || o.faults.byzantine > plain.faults.byzantine
      expect(harsher, s.name).toBe(true)
    }
    expect(new Set(SOAK_PLAN.map((s) => s.name)).size).toBe(SOAK_PLAN.length)
  })

  it('scales seed counts, one seed at least, and picks sweeps by name', () => {
    expect(planSoak(undefined, 1)).toEqual(SOAK_PLAN)
    expect(planSoak(['standard-6m'], 0.1)).toEqual([{ ...SOAK_PLAN[0]!, seeds: 20 }])
    expect(planSoak(['byzantine-6m'], 0.001)[0]!.seeds).toBe(1)
  })

  it('refuses an unknown sweep or a scale that is not above 0, naming what to pass', () => {
    for (const bad of [() => planSoak(['standrad-6m'], 1), () => planSoak(undefined, 0), () => planSoak(undefined, Number.NaN)]) {
      let e: unknown
      try { bad() } catch (x) { e = x }
      expect(isFlotillaError(e, 'input-invalid')).toBe(true)
    }
    expect(() => planSoak(['standrad-6m'], 1)).toThrow(/standrad-6m/)
  })
})
