import { describe, expect, it } from 'vitest'
import type { Network } from '../../../src/ports/network.ts'
import { runScenario } from '../../../sim/run.ts'
import type { ScenarioInput } from '../../../sim/runner/options.ts'

/** Three honest sites whose every Deployment is local-only, no fault: any leak is the only violation. */
const localOnly: ScenarioInput = {
  seed: 5,
  sites: 3,
  regions: 1,
  durationMs: 20_000,
  workload: { deploymentsPerSite: 2, localOnly: 1, regionRestricted: 0, gpu: 0, changeEveryMs: 0 },
  faults: { kinds: [], byzantine: 0 }
}

describe('the residency invariant in a run', () => {
  it('holds when honest sites keep their local-only records at home', async () => {
    const r = await runScenario(localOnly)
    expect(r.internalErrors).toEqual([])
    const residency = r.invariants.find((i) => i.name === 'residency')!
    expect(residency.ok).toBe(true)
    expect(r.stats.monitor.framesScanned).toBeGreaterThan(0)
  }, 60_000)

  it('catches a frame an honest site sends with a local-only key in it, and every copy of it', async () => {
    let network: Network | undefined
    const r = await runScenario(localOnly, {
      world (world) {
        const s0 = world.sites[0]!
        world.addHooks({ wrapNetwork (s, net) { if (s.id === s0.id) network = net; return net } })
        const leak = (): void => {
          const key = s0.site?.localWorkloads()[0]?.key
          const peer = world.sites[1]!.peer
          if (key === undefined || network === undefined) return
          for (let i = 0; i < 3; i++) network.send(peer, new TextEncoder().encode(`{"debug":"${key}"}`))
        }
        world.engine.setTimer(12_000, leak)
      }
    })
    expect(r.internalErrors).toEqual([])
    const residency = r.invariants.find((i) => i.name === 'residency')!
    expect(residency.ok).toBe(false)
    const messages = residency.violations.filter((v) => v.rule === 'message')
    expect(messages).toHaveLength(3)
    expect(messages[0]).toMatchObject({ invariant: 'residency', rule: 'message', site: 's0' })
    expect(messages[0]!.message).toMatch(/s0 sent a direct frame to s1 carrying key "apps\/Deployment\/team-s0\//)
  }, 60_000)
})
