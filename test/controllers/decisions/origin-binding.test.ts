import { describe, expect, it } from 'vitest'
import { effectivePlacement, originBinding, type AvailabilityMemory } from '../../../src/controllers/decisions/index.ts'
import type { Binding, ClusterRecord } from '../../../src/model/federation.ts'
import { placeWorkload } from '../../../src/schedule/index.ts'
import { cluster, deployment, pp } from '../../schedule/fixtures.ts'
import { asMap, bindingOf, placement, share, tick } from './fixtures.ts'

const divided = pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })
const never = pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } }, { failover: { failback: { policy: 'Never' } } })
const fleet: ClusterRecord[] = ['eu1.a', 'eu2.a', 'us1.a', 'us2.a'].map((id) => cluster(id, { region: id.slice(0, 2) }))
const w = deployment('web', { replicas: 8 })
const b0 = bindingOf(w, placeWorkload({ workload: w, policies: [divided], clusters: fleet }).assignments, { policy: 'PropagationPolicy/default/pp' })

describe('originBinding', () => {
  it('writes the first placement, and after that keeps its binding through capacity noise', () => {
    const t = tick({ clusters: fleet, policies: [divided] })
    const first = originBinding({ context: t.context, workload: w })
    expect(first).toMatchObject({ write: true, trigger: 'no-binding', placement: b0.placement, policy: 'PropagationPolicy/default/pp' })
    const noisy = fleet.map((c) => (c.id === 'us2.a' ? cluster(c.id, { region: 'us', fits: 1 }) : c))
    expect(originBinding({ context: tick({ clusters: noisy, policies: [divided] }).context, workload: w, current: b0, previousNow: 0 }))
      .toMatchObject({ write: false, placement: b0.placement })
  })

  it('recomputes for a new generation and for a policy change', () => {
    const t = tick({ clusters: fleet, policies: [divided] })
    expect(originBinding({ context: t.context, workload: { ...w, generation: 2 }, current: b0 })).toMatchObject({ write: true, trigger: 'generation' })
    expect(originBinding({ context: t.context, workload: w, current: b0, policyChanged: true })).toMatchObject({ write: true, trigger: 'policy' })
    expect(originBinding({ context: t.context, workload: w, current: { ...b0, policy: 'PropagationPolicy/default/old' } })).toMatchObject({ write: true, trigger: 'policy' })
  })

  it('on a failure writes exactly the failover placement the other sites compute', () => {
    const t = tick({ clusters: fleet, policies: [divided], unavailableSites: ['eu2'] })
    const d = originBinding({ context: t.context, workload: w, current: b0 })
    const e = effectivePlacement({ context: t.context, workload: w, originBinding: b0 })
    expect(d).toMatchObject({ write: true, trigger: 'failover', placement: e.assignments })
    expect(asMap(d.placement)['eu2.a']).toBeUndefined()
  })

  it('records a degradation it cannot fix without moving anything', () => {
    const db = { ...deployment('db', { replicas: 1, kind: 'StatefulSet' }), stateless: false }
    const policy = pp({}, { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'StatefulSet' }] })
    const current = bindingOf(db, { 'eu2.a': 1 }, { policy: 'PropagationPolicy/default/pp' })
    const d = originBinding({ context: tick({ clusters: fleet, policies: [policy], unavailableSites: ['eu2'] }).context, workload: db, current })
    expect(d).toMatchObject({ write: true, trigger: 'degraded', placement: current.placement })
    expect(d.degraded).toContain('stateful workload (StatefulSet) does not move')
  })

  it('keeps the previous placement when a new generation cannot be placed', () => {
    const big = { ...deployment('web', { replicas: 8, requests: { cpu: '1000', memory: '1Gi' } }), generation: 2 }
    const d = originBinding({ context: tick({ clusters: fleet, policies: [divided] }).context, workload: big, current: b0 })
    expect(d).toMatchObject({ write: true, trigger: 'generation', placement: b0.placement })
    expect(d.degraded).toMatch(/^generation 2: cannot be placed \(no-feasible-cluster/)
  })

  it('clears a degradation it recorded once the clusters are back and the placement is clean again', () => {
    const db = { ...deployment('db', { replicas: 1, kind: 'StatefulSet' }), stateless: false }
    const policy = pp({}, { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'StatefulSet' }] })
    const base = bindingOf(db, placeWorkload({ workload: db, policies: [policy], clusters: fleet }).assignments, { policy: 'PropagationPolicy/default/pp' })
    expect(asMap(base.placement)['eu2.a']).toBe(1)
    const down = tick({ clusters: fleet, policies: [policy], unavailableSites: ['eu2'], now: 0 })
    const kept = originBinding({ context: down.context, workload: db, current: base })
    expect(kept.degraded).toBeDefined()
    const noted = bindingOf(db, kept.placement, { policy: 'PropagationPolicy/default/pp', degraded: kept.degraded! })
    // Still degraded while eu2 stabilizes after its return...
    const back = tick({ clusters: fleet, policies: [policy], memory: down.memory, now: 10_000 })
    expect(originBinding({ context: back.context, workload: db, current: noted, previousNow: 0 }).degraded).toBeDefined()
    // ...and clean, in place, once the window has passed.
    const stable = tick({ clusters: fleet, policies: [policy], memory: back.memory, now: 41_000 })
    const cleared = originBinding({ context: stable.context, workload: db, current: noted, previousNow: 10_000 })
    expect(cleared).toMatchObject({ write: true, trigger: 'degraded', placement: base.placement })
    expect(cleared.degraded).toBeUndefined()
    const after = originBinding({ context: stable.context, workload: db, current: bindingOf(db, cleared.placement, { policy: 'PropagationPolicy/default/pp' }), previousNow: 41_000 })
    expect(after.write).toBe(false)
  })

  /** The origin's binding through eu2 failing at 0, returning at 10 s; ticks at `times`. */
  function run (times: number[], policy = divided) {
    let memory: AvailabilityMemory = new Map()
    let current: Binding = { ...b0, policy: 'PropagationPolicy/default/pp' }
    let previousNow: number | undefined
    const out = []
    for (const now of times) {
      const t = tick({ clusters: fleet, policies: [policy], unavailableSites: now >= 0 && now < 10_000 ? ['eu2'] : [], memory, now })
      memory = t.memory
      const d = originBinding({ context: t.context, workload: w, current, ...(previousNow !== undefined ? { previousNow } : {}) })
      if (d.write) current = bindingOf(w, d.placement, { ...(d.policy !== undefined ? { policy: d.policy } : {}), ...(d.avoided !== undefined ? { avoided: d.avoided } : {}) })
      out.push(d)
      previousNow = now
    }
    return out
  }

  it('fails back once the returned cluster has been stable for the window', () => {
    const [before, down, back, almost, stable, after] = run([-1000, 0, 10_000, 39_000, 41_000, 50_000])
    expect(before!.write).toBe(false)
    expect(down).toMatchObject({ write: true, trigger: 'failover' })
    expect(back!.write).toBe(false)
    expect(almost!.write).toBe(false)
    expect(stable).toMatchObject({ write: true, trigger: 'failback', placement: b0.placement })
    expect(stable!.reason).toContain('fail-back after 30000 ms stable (eu2.a)')
    expect(after!.write).toBe(false)
  })

  it('names the clusters a failover moved off, and owes them nothing under fail-back Never', () => {
    const [, down] = run([-1000, 0])
    expect(down!.avoided).toEqual(['eu2.a'])
    const [, downNever] = run([-1000, 0], never)
    expect(downNever!.avoided).toBeUndefined()
  })

  it('fails back after a restart that forgot the failure, once the avoided cluster is stable for the window on the new clock', () => {
    const [, down] = run([-1000, 0])
    const failover = bindingOf(w, down!.placement, { policy: 'PropagationPolicy/default/pp', avoided: down!.avoided! })
    // The origin restarts at 20 s with empty memory: eu2 is first seen available then.
    const first = tick({ clusters: fleet, policies: [divided], now: 20_000 })
    expect(originBinding({ context: first.context, workload: w, current: failover }).write).toBe(false)
    const early = tick({ clusters: fleet, policies: [divided], memory: first.memory, now: 49_000 })
    expect(originBinding({ context: early.context, workload: w, current: failover, previousNow: 20_000 }).write).toBe(false)
    const late = tick({ clusters: fleet, policies: [divided], memory: early.memory, now: 50_000 })
    const back = originBinding({ context: late.context, workload: w, current: failover, previousNow: 49_000 })
    expect(back).toMatchObject({ write: true, trigger: 'failback', placement: b0.placement })
    expect(back.avoided).toBeUndefined()
    expect(back.failbackCause).toContain('eu2.a available and stable for 30000 ms')
  })

  it('stops owing a fail-back to a stable cluster the placement no longer wants, without moving anything', () => {
    // The failover binding avoided us9.z, which has since been tainted: the scheduler would not use it now.
    const failover = bindingOf(w, b0.placement, { policy: 'PropagationPolicy/default/pp', avoided: ['us9.z'] })
    const tainted = cluster('us9.z', { region: 'us', taints: [{ key: 'maintenance', effect: 'NoSchedule' }] })
    const t0 = tick({ clusters: [...fleet, tainted], policies: [divided], now: 0 })
    const t1 = tick({ clusters: [...fleet, tainted], policies: [divided], memory: t0.memory, now: 31_000 })
    const d = originBinding({ context: t1.context, workload: w, current: failover, previousNow: 0 })
    expect(d).toMatchObject({ write: true, trigger: 'failback', placement: b0.placement })
    expect(d.avoided).toBeUndefined()
    expect(d.failbackCause).toBeUndefined()
    const next = bindingOf(w, d.placement, { policy: 'PropagationPolicy/default/pp', reason: d.reason })
    expect(originBinding({ context: t1.context, workload: w, current: next, previousNow: 31_000 }).write).toBe(false)
  })

  it('never fails back under fail-back Never', () => {
    const [, down, , , stable] = run([-1000, 0, 10_000, 39_000, 41_000], never)
    expect(down!.write).toBe(true)
    expect(stable).toMatchObject({ write: false, placement: down!.placement })
  })

  // Three full clusters; the workload's own replicas fill them (found by the simulator:
  // regional-partition seed 75, a GPU workload left at 2 of 3 after the heal).
  const full: ClusterRecord[] = ['eu1.a', 'eu2.a', 'us1.a'].map((id) => cluster(id, { region: id.slice(0, 2), fits: 0 }))
  const three = deployment('infer', { replicas: 3 })
  const policyKey = { policy: 'PropagationPolicy/default/pp' }

  it('fails back onto clusters full of the workload\'s own failover replicas, reusing their room', () => {
    // The origin, cut off from eu1 and eu2, moved to us1.a and could fit only 2 there;
    // the survivors meanwhile ran 2 each on eu1.a and eu2.a.
    const current = bindingOf(three, { 'us1.a': 2 }, { ...policyKey, degraded: 'insufficient-capacity: placed 2 of 3 replicas', avoided: ['eu1.a', 'eu2.a'] })
    const shares = ['eu1.a', 'eu2.a', 'us1.a'].map((c) => share(three, c, 2))
    const down = tick({ clusters: full, policies: [divided], unavailableSites: ['eu1', 'eu2'], now: 0 })
    const back = tick({ clusters: full, policies: [divided], memory: down.memory, now: 10_000 })
    const stable = tick({ clusters: full, policies: [divided], memory: back.memory, now: 41_000 })
    const d = originBinding({ context: stable.context, workload: three, current, previousNow: 10_000, shares })
    expect(d).toMatchObject({ write: true, trigger: 'failback' })
    expect(d.degraded).toBeUndefined()
    expect(d.placement.reduce((n, a) => n + a.replicas, 0)).toBe(3)
    expect(Object.keys(asMap(d.placement)).some((c) => c !== 'us1.a')).toBe(true)
    // Blind to the replicas running on eu1.a and eu2.a, the scheduler finds them full and the workload stays short.
    const blind = originBinding({ context: stable.context, workload: three, current, previousNow: 10_000 })
    expect(blind.placement).toEqual(current.placement)
  })

  it('places a degraded binding again once room frees up, and leaves it while none does', () => {
    const current = bindingOf(three, { 'us1.a': 2 }, { ...policyKey, degraded: 'insufficient-capacity: placed 2 of 3 replicas' })
    const shares = [share(three, 'us1.a', 2)]
    const stillFull = originBinding({ context: tick({ clusters: full, policies: [divided] }).context, workload: three, current, shares })
    expect(stillFull.write).toBe(false)
    const freed = full.map((c) => (c.id === 'eu1.a' ? cluster(c.id, { region: 'eu', fits: 1 }) : c))
    const d = originBinding({ context: tick({ clusters: freed, policies: [divided] }).context, workload: three, current, shares })
    expect(d).toMatchObject({ write: true, trigger: 'degraded', placement: placement({ 'eu1.a': 1, 'us1.a': 2 }) })
    expect(d.degraded).toBeUndefined()
    expect(d.reason).toContain('placed again, as the capacity now allows more')
    const next = bindingOf(three, d.placement, { ...policyKey, reason: d.reason })
    expect(originBinding({ context: tick({ clusters: freed, policies: [divided] }).context, workload: three, current: next, shares }).write).toBe(false)
  })

  it('gives back only the room of Ready replicas of the current generation', () => {
    // Generation 2 asks 4 cpu per replica: the room 1-cpu replicas of generation 1 hold says
    // nothing about it, and Pending replicas hold none.
    const big = { ...deployment('infer', { replicas: 3, requests: { cpu: '4', memory: '1Gi' } }), generation: 2 }
    const current = bindingOf(big, { 'us1.a': 3 }, { ...policyKey, degraded: 'generation 2: cannot be placed (no-feasible-cluster); keeping the previous placement' })
    const t = tick({ clusters: full, policies: [divided] })
    const old = [share(three, 'us1.a', 3)]
    expect(originBinding({ context: t.context, workload: big, current, shares: old }).write).toBe(false)
    const pending = [share(big, 'us1.a', 0, { desired: 3 })]
    expect(originBinding({ context: t.context, workload: big, current, shares: pending }).write).toBe(false)
    // Once generation 2 runs Ready there after all (its owner found room), its replicas
    // hold their room and the binding is clean where it is.
    const ready = [share(big, 'us1.a', 3)]
    const d = originBinding({ context: t.context, workload: big, current, shares: ready })
    expect(d).toMatchObject({ write: true, trigger: 'degraded', placement: current.placement })
    expect(d.degraded).toBeUndefined()
  })
})
