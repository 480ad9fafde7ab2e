import { describe, expect, it } from 'vitest'
import { effectivePlacement, migrationEvents, originBinding, type AvailabilityMemory, type EffectivePlacement } from '../../../src/controllers/decisions/index.ts'
import type { WorkloadRecord } from '../../../src/model/federation.ts'
import { cluster, deployment, policy, pp } from '../../schedule/fixtures.ts'
import { placeWorkload } from '../../../src/schedule/index.ts'
import { bindingOf, tick } from './fixtures.ts'

const dividedPolicy = pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })
const fleet = ['eu1.a', 'eu2.a', 'us1.a', 'us2.a'].map((id) => cluster(id, { region: id.startsWith('eu') ? 'eu' : 'us' }))
const web = deployment('web', { replicas: 4 })
const api = deployment('api', { replicas: 2 })
const db = { ...deployment('db', { replicas: 1, kind: 'StatefulSet' }), stateless: false }
const dbPolicy = policy('db', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'StatefulSet' }], placement: {} })
// The origin's binding is what the scheduler computes with every cluster up.
const webPlaced = placeWorkload({ workload: web, policies: [dividedPolicy], clusters: fleet }).assignments
const bindings = new Map([
  [web.key, bindingOf(web, webPlaced)],
  [api.key, bindingOf(api, { 'eu2.a': 2 })],
  [db.key, bindingOf(db, { 'eu2.a': 1 })]
])

/** The observer's effective placements at successive ticks, eu2 down in [0, 10 s). */
function ticks (times: number[], workloads: WorkloadRecord[] = [web, api]): Array<Map<string, EffectivePlacement>> {
  let memory: AvailabilityMemory = new Map()
  let previous = new Map<string, EffectivePlacement>()
  const out: Array<Map<string, EffectivePlacement>> = []
  for (const now of times) {
    const t = tick({ clusters: fleet, policies: [dividedPolicy, dbPolicy], unavailableSites: now >= 0 && now < 10_000 ? ['eu2'] : [], memory, now })
    memory = t.memory
    const next = new Map<string, EffectivePlacement>()
    for (const w of workloads) {
      const p = previous.get(w.key)
      next.set(w.key, effectivePlacement({ context: t.context, workload: w, originBinding: bindings.get(w.key)!, ...(p !== undefined ? { previous: p } : {}) }))
    }
    out.push(next)
    previous = next
  }
  return out
}

describe('migrationEvents', () => {
  it('writes one migration event for the workloads moved off the same failed clusters, with what moved where', () => {
    const [before, after] = ticks([-1000, 0])
    const events = migrationEvents(before!, after!, 1_700_000_000_000)
    expect(events).toHaveLength(1)
    const ev = events[0]!
    expect(ev).toMatchObject({ kind: 'migration', at: 1_700_000_000_000, subject: '2 workloads' })
    expect(ev.cause).toBe("eu2.a unavailable: site eu2 is failed or recovering per this site's failure detector")
    expect(ev.moved!.map((m) => m.workload)).toEqual([api.key, web.key].sort())
    for (const m of ev.moved!) {
      expect(m.from).toEqual(['eu2.a'])
      expect(m.to.length).toBeGreaterThan(0)
      expect(m.to).not.toContain('eu2.a')
    }
  })

  it('writes nothing while the placement holds, and a fail-back event when work returns after the window', () => {
    const [, down, back, stable] = ticks([-1000, 0, 10_000, 40_000])
    expect(migrationEvents(down!, back!, 1)).toEqual([])
    const events = migrationEvents(back!, stable!, 2)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      kind: 'failback', subject: '2 workloads',
      cause: 'eu2.a available and stable: fail-back after a 30000 ms stabilisation window (site)'
    })
    const webMove = events[0]!.moved!.find((m) => m.workload === web.key)!
    expect(webMove.to).toEqual(['eu2.a'])
    expect(stable!.get(web.key)!.assignments).toEqual(webPlaced)
  })

  it('reports a workload that cannot move as degraded once, and its recovery', () => {
    const [before, down, still, back] = ticks([-1000, 0, 5000, 10_000], [db])
    const degraded = migrationEvents(before!, down!, 1)
    expect(degraded).toEqual([{
      kind: 'degraded', at: 1, subject: db.key, cause: down!.get(db.key)!.degraded,
      moved: [{ workload: db.key, from: ['eu2.a'], to: [] }]
    }])
    expect(migrationEvents(down!, still!, 2)).toEqual([])
    expect(migrationEvents(still!, back!, 3)).toMatchObject([{ kind: 'info', subject: db.key }])
  })

  it('writes a migration at the origin, which rebinds around the failed cluster in the same tick', () => {
    const up = tick({ clusters: fleet, policies: [dividedPolicy], now: -1000 })
    const down = tick({ clusters: fleet, policies: [dividedPolicy], unavailableSites: ['eu2'], memory: up.memory, now: 0 })
    const current = bindingOf(web, webPlaced, { policy: dividedPolicy.key })
    const before = new Map([[web.key, effectivePlacement({ context: up.context, workload: web, originBinding: current })]])
    const rebound = originBinding({ context: down.context, workload: web, current })
    expect(rebound).toMatchObject({ write: true, trigger: 'failover' })
    // The effective placement follows the new binding at once: mode origin, nothing displaced.
    const after = new Map([[web.key, effectivePlacement({ context: down.context, workload: web, originBinding: bindingOf(web, rebound.placement, { policy: dividedPolicy.key }) })]])
    expect(after.get(web.key)).toMatchObject({ mode: 'origin', displaced: [] })
    const events = migrationEvents(before, after, 5, down.availability)
    expect(events).toMatchObject([{ kind: 'migration', subject: web.key, cause: "eu2.a unavailable: site eu2 is failed or recovering per this site's failure detector" }])
    expect(events[0]!.moved).toEqual([{ workload: web.key, from: ['eu2.a'], to: expect.any(Array) }])
  })

  it('writes a fail-back at the origin, whose own binding moves the work back', () => {
    const up = tick({ clusters: fleet, policies: [dividedPolicy], now: -1000 })
    const down = tick({ clusters: fleet, policies: [dividedPolicy], unavailableSites: ['eu2'], memory: up.memory, now: 0 })
    const rebound = originBinding({ context: down.context, workload: web, current: bindingOf(web, webPlaced, { policy: dividedPolicy.key }) })
    const failover = bindingOf(web, rebound.placement, { policy: dividedPolicy.key, avoided: rebound.avoided! })
    const back = tick({ clusters: fleet, policies: [dividedPolicy], memory: down.memory, now: 10_000 })
    const stable = tick({ clusters: fleet, policies: [dividedPolicy], memory: back.memory, now: 40_000 })
    const decision = originBinding({ context: stable.context, workload: web, current: failover, previousNow: 10_000 })
    expect(decision).toMatchObject({ write: true, trigger: 'failback', placement: webPlaced })
    const before = new Map([[web.key, effectivePlacement({ context: back.context, workload: web, originBinding: failover })]])
    const after = new Map([[web.key, effectivePlacement({ context: stable.context, workload: web, originBinding: bindingOf(web, decision.placement, { policy: dividedPolicy.key }) })]])
    // Both sides are the origin's own bindings (mode origin): without the origin's word this move is silent.
    expect(migrationEvents(before, after, 6, stable.availability)).toEqual([])
    const events = migrationEvents(before, after, 6, stable.availability, new Map([[web.key, decision.failbackCause!]]))
    expect(events).toMatchObject([{ kind: 'failback', subject: web.key, cause: 'eu2.a available and stable for 30000 ms: fail-back per the site default' }])
    expect(events[0]!.moved![0]!.to).toEqual(['eu2.a'])
  })

  it('writes nothing for workloads that appear or disappear', () => {
    const [, down] = ticks([-1000, 0])
    expect(migrationEvents(new Map(), down!, 1)).toEqual([])
    expect(migrationEvents(down!, new Map(), 1)).toEqual([])
  })
})
