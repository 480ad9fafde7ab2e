import { beforeAll, describe, expect, it } from 'vitest'
import { BYZANTINE_BEHAVIOURS } from '../../../sim/byzantine/behaviour.ts'
import { runScenario, type RunResult } from '../../../sim/run.ts'
import type { World } from '../../../sim/runner/world.ts'
import { BUG_SCENARIOS } from '../../../sim/scenarios/injected-bugs.ts'

interface Observed {
  /** Accepted heartbeat counters per `observer>subject`, in arrival order. */
  accepted: Map<string, number[]>
}

/** cpu the honest sites' views report for the liar's cluster at `atMs`, and its real allocatable. */
function sampleLie (w: World, atMs: number, into: Array<{ observer: string, reported: number, real: number }>): void {
  w.engine.setTimer(atMs, () => {
    const liar = w.sites.find((s) => !s.honest)!
    const real = liar.clusters[0]!.model.nodes().reduce((n, x) => n + x.allocatable.cpuMilli, 0)
    for (const s of w.sites) {
      const c = s.honest ? s.site?.view().clusters.find((x) => x.id === liar.clusters[0]!.id) : undefined
      if (c !== undefined) into.push({ observer: s.id, reported: c.allocatable.cpuMilli, real })
    }
  })
}

describe('Byzantine sites: every behaviour runs, and honest sites refuse or record it', () => {
  let all: RunResult
  let world: World
  const seen: Observed = { accepted: new Map() }

  beforeAll(async () => {
    all = await runScenario({
      seed: 3, sites: 4, regions: 2, durationMs: 45_000,
      workload: { deploymentsPerSite: 2, changeEveryMs: 0 },
      faults: { byzantine: 1, warmupMs: 5_000, quietTailMs: 15_000 }
    }, {
      world (w) {
        world = w
        w.addHooks({
          created (s, site) {
            if (!s.honest) return
            site.liveness.onHeartbeat((hb) => {
              const key = `${s.id}#${s.incarnation}>${hb.siteId}`
              let list = seen.accepted.get(key)
              if (list === undefined) seen.accepted.set(key, list = [])
              list.push(hb.counter)
            })
          }
        })
      }
    })
  }, 120_000)

  it('runs every behaviour (all are on by default) and still holds every invariant', () => {
    expect(all.internalErrors).toEqual([])
    expect(all.sites.find((s) => !s.honest)?.behaviours).toEqual([...BYZANTINE_BEHAVIOURS])
    const acted = all.stats.byzantine.actions
    for (const what of ['forged changes', 'foreign writes', 'replays', 'floods', 'malformed frames', 'false death claims']) {
      expect(acted[what] ?? 0, what).toBeGreaterThan(0)
    }
    expect(all.stats.byzantine.withheld).toBeGreaterThan(0)
    for (const inv of all.invariants) expect(inv.violations, inv.name).toEqual([])
  })

  it('records forged signatures, foreign writes, floods and malformed bytes as evidence against the Byzantine site only', () => {
    const byz = all.sites.find((s) => !s.honest)!.id
    for (const s of world.sites) {
      if (!s.honest || s.site === undefined) continue
      const evidence = s.site.evidence()
      const kinds = new Set(evidence.filter((e) => e.offender === byz).map((e) => e.kind))
      for (const k of ['bad-signature', 'unauthorized-writer', 'flood', 'replay', 'malformed'] as const) expect(kinds.has(k), `${s.id} records ${k}`).toBe(true)
      expect(evidence.filter((e) => e.offender !== byz)).toEqual([])
    }
    // Forged changes were refused at the door (a victim never gets its own forgeries, so count them all) ...
    const refused = world.sites.filter((s) => s.honest).reduce((n, s) => n + (s.site?.replicator.stats().rejected['bad-signature'] ?? 0), 0)
    expect(refused).toBeGreaterThan(0)
    // ... and nothing forged or foreign entered an honest log: the safety invariant checked every entry.
    expect(all.invariants.find((i) => i.name === 'safety')!.checked).toBeGreaterThan(50)
  })

  it('ignores replays: old changes count as duplicates and no replayed heartbeat is ever accepted', () => {
    for (const s of world.sites) if (s.honest && s.site !== undefined) expect(s.site.replicator.stats().duplicates).toBeGreaterThan(0)
    expect(seen.accepted.size).toBeGreaterThan(0)
    for (const [key, counters] of seen.accepted) {
      for (let i = 1; i < counters.length; i++) expect(counters[i], `${key} accepted counter ${counters[i]} after ${counters[i - 1]}`).toBeGreaterThan(counters[i - 1]!)
    }
  })

  it('lets a liar inflate its own clusters (signed, accountable) but not kill honest sites with false death claims', async () => {
    // Lying and false death claims only: with every behaviour on, the liar runs up a
    // replay debt at once, its own pushes (its lies among them) are refused unread and it
    // is disconnected within seconds; this is about what a lie does once it has spread.
    const lie: Array<{ observer: string, reported: number, real: number }> = []
    let w: World | undefined
    const r = await runScenario({
      seed: 3, sites: 4, regions: 2, durationMs: 45_000,
      workload: { deploymentsPerSite: 2, changeEveryMs: 0 },
      faults: { byzantine: 1, behaviours: ['lie-clusters', 'false-death'], warmupMs: 5_000, quietTailMs: 15_000 }
    }, { world (x) { w = x; sampleLie(x, 24_000, lie) } })
    expect(r.internalErrors).toEqual([])
    expect(r.stats.byzantine.actions['false death claims'] ?? 0).toBeGreaterThan(0)
    expect(lie.length).toBe(3)
    for (const l of lie) expect(l.reported).toBeGreaterThanOrEqual(10 * l.real)
    for (const s of w!.sites) {
      if (!s.honest || s.site === undefined) continue
      for (const [id, rec] of s.site.liveness.records()) {
        if (w!.siteById(id)!.honest) expect(rec?.status, `${s.id} judges ${id}`).toBe('alive')
      }
    }
    expect(r.invariants.find((i) => i.name === 'availability')!.violations.filter((v) => v.rule === 'no-false-failure')).toEqual([])
    for (const inv of r.invariants) expect(inv.violations, inv.name).toEqual([])
  }, 120_000)

  it('switches each behaviour on its own: equivocation alone is detected with self-proving evidence at every honest site', async () => {
    const scenario = BUG_SCENARIOS.find((b) => b.bug === 'equivocation-rule-off')!
    let w2: World | undefined
    const r = await runScenario({ ...scenario.input, seed: 1 }, { world (w) { w2 = w } })
    expect(r.ok).toBe(true)
    expect(Object.keys(r.stats.byzantine.actions)).toEqual(['equivocations'])
    expect(r.stats.byzantine.withheld).toBe(0)
    const byz = r.sites.find((s) => !s.honest)!.id
    for (const s of w2!.sites) {
      if (!s.honest || s.site === undefined) continue
      const ev = s.site.evidence().filter((e) => e.kind === 'equivocation')
      expect(ev.map((e) => e.offender), s.id).toEqual([byz])
      expect(ev[0]!.proof).toHaveLength(2)
    }
  }, 120_000)
})
