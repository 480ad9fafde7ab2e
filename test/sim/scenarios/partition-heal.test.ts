import { describe, expect, it } from 'vitest'
import { runScenario } from '../../../sim/run.ts'
import { scenarioByName, SCENARIOS } from '../../../sim/scenarios/index.ts'
import { resolveScenario } from '../../../sim/runner/options.ts'
import { scenarioFromFlags } from '../../../sim/cli-args.ts'

describe('scenarios', () => {
  it('resolves every named scenario to valid options', () => {
    for (const s of SCENARIOS) {
      const o = resolveScenario({ ...scenarioByName(s.name).defaults(), scenario: s.name })
      expect(o.scenario).toBe(s.name)
      expect(o.faults.warmupMs + o.faults.quietTailMs).toBeLessThan(o.durationMs)
      for (const f of o.faults.scheduled) expect(f.atMs).toBeLessThan(o.durationMs - o.faults.quietTailMs)
    }
  })

  // A regression found by the simulator: when a regional partition healed, every site's
  // failover and the origin's fail-back ended at once and each site released its replicas
  // in favour of replicas their owners were releasing too — every replica gone at once.
  it('keeps every workload running through the heal of a regional partition', async () => {
    const r = await runScenario({
      seed: 1, sites: 3, regions: 3, durationMs: 100_000,
      workload: { deploymentsPerSite: 3, changeEveryMs: 0, localOnly: 0, regionRestricted: 0, gpu: 0 },
      faults: { scheduled: [{ atMs: 10_000, kind: 'partition', groups: 'by-region', durationMs: 25_000 }] }
    })
    expect(r.internalErrors).toEqual([])
    expect(r.timeline.some((e) => e.kind === 'failback')).toBe(true)
    for (const inv of r.invariants) expect(inv.violations, inv.name).toEqual([])
  }, 120_000)

  // A regression found by the simulator: the origin of a GPU workload, cut off with one
  // GPU cluster, bound it there at 2 of 3; after the heal its fail-back found every GPU
  // cluster full of the workload's own replicas, let the returned clusters go, and the
  // survivors released their failover replicas to that binding: 2 of 3 for good.
  it('brings a GPU workload placed short during a regional partition back to full strength after the heal', async () => {
    const r = await runScenario(scenarioFromFlags({ scenario: 'regional-partition', seed: '75' }))
    expect(r.internalErrors).toEqual([])
    for (const inv of r.invariants) expect(inv.violations, inv.name).toEqual([])
  }, 120_000)

  // A regression found by the simulator: an origin updated a workload right after a
  // regional partition healed, while the clusters running it were still stabilizing in its
  // view, and bound the new generation nowhere; the sites running it followed that empty
  // binding and stopped their replicas: 3 ready to 0 until the origin's window ended.
  it('keeps a workload running when its origin updates it during its fail-back window and can bind it nowhere', async () => {
    const r = await runScenario(scenarioFromFlags({ scenario: 'regional-partition', seed: '4305' }))
    expect(r.internalErrors).toEqual([])
    expect(r.timeline.some((e) => e.kind === 'workload' && e.detail === 'update apps/Deployment/team-s4/web-5')).toBe(true)
    for (const inv of r.invariants) expect(inv.violations, inv.name).toEqual([])
  }, 120_000)

  // A regression found by the simulator: a survivor ran the only replicas of a workload
  // whose origin, cut off, had bound it nowhere (degraded). The survivor's site was lost
  // and came back; its previous decision was gone with its process, so it followed the
  // empty origin binding and stopped the replicas: 3 ready to 0 with nothing replacing them.
  it('keeps a failover running through the restart of the survivor that runs it', async () => {
    const r = await runScenario(scenarioFromFlags({ scenario: 'standard', seed: '1144', duration: '6m' }))
    expect(r.internalErrors).toEqual([])
    for (const inv of r.invariants) expect(inv.violations, inv.name).toEqual([])
  }, 180_000)
})
