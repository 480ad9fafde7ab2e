import { describe, expect, it } from 'vitest'
import { effectivePlacement, originBindingOf, type EffectivePlacement, type FailoverSettings } from '../../../src/controllers/decisions/index.ts'
import type { ClusterRecord, PolicyRecord, WorkloadRecord } from '../../../src/model/federation.ts'
import { placeWorkload } from '../../../src/schedule/index.ts'
import { cluster, deployment, policy, pp, selectDeployments } from '../../schedule/fixtures.ts'
import { asMap, bindingOf, placement, shuffled, tick, type TickInput } from './fixtures.ts'

const divided = { replicaScheduling: { replicaSchedulingType: 'Divided' } }
const dividedPolicy = pp(divided)

/** Four sites over two regions; eu1 is the origin of the test workloads. */
function fleet (o: { down?: string[], fits?: Record<string, number> } = {}): ClusterRecord[] {
  const specs: Array<[string, string]> = [['eu1.a', 'eu'], ['eu1.b', 'eu'], ['eu2.a', 'eu'], ['us1.a', 'us'], ['us2.a', 'us']]
  return specs.map(([id, region]) => cluster(id, {
    region, zone: `${region}-a`, fits: o.fits?.[id] ?? 100, health: o.down?.includes(id) === true ? 'NotReady' : 'Ready'
  }))
}

function place (clusters: ClusterRecord[], w: WorkloadRecord, policies: PolicyRecord[], unavailable: string[] = []) {
  return placeWorkload({ workload: w, policies, clusters, unavailable: new Set(unavailable) })
}

function decide (t: TickInput, w: WorkloadRecord, binding?: ReturnType<typeof bindingOf>, previous?: EffectivePlacement): EffectivePlacement {
  const { context } = tick(t)
  return effectivePlacement({ context, workload: w, ...(binding !== undefined ? { originBinding: binding } : {}), ...(previous !== undefined ? { previous } : {}) })
}

describe('effectivePlacement: the origin binding', () => {
  it('uses the origin binding as written while its clusters are available, even where a recompute would differ', () => {
    const w = deployment('web', { replicas: 6 })
    // Not what the scheduler would compute today (capacity noise since): sticky all the same.
    const b = bindingOf(w, { 'eu1.a': 4, 'us1.a': 2 })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, b)
    expect(e.mode).toBe('origin')
    expect(asMap(e.assignments)).toEqual({ 'eu1.a': 4, 'us1.a': 2 })
    expect(e.degraded).toBeUndefined()
    expect(e.displaced).toEqual([])
    expect(e.base).toEqual({ decidedBy: 'eu1', generation: 1, assignments: placement({ 'eu1.a': 4, 'us1.a': 2 }) })
  })

  it('keeps the origin binding when only its origin site has failed but its clusters are elsewhere', () => {
    const w = deployment('web', { replicas: 4 })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy], unavailableSites: ['eu1'] }, w, bindingOf(w, { 'eu2.a': 2, 'us1.a': 2 }))
    expect(e.mode).toBe('origin')
    expect(asMap(e.assignments)).toEqual({ 'eu2.a': 2, 'us1.a': 2 })
  })

  it('computes the placement as the origin will when the origin has not written a binding yet', () => {
    const w = deployment('web', { replicas: 6 })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w)
    expect(e.mode).toBe('computed')
    expect(e.assignments).toEqual(place(fleet(), w, [dividedPolicy]).assignments)
    expect(e.reason).toContain('no binding from the origin eu1 yet')
  })

  it('ignores a binding written by a site other than the origin', () => {
    const w = deployment('web', { replicas: 6 })
    const forged = bindingOf(w, { 'us2.a': 6 }, { decidedBy: 'us2' })
    expect(originBindingOf(w, [forged])).toBeUndefined()
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, forged)
    expect(e.mode).toBe('computed')
    expect(e.reason).toContain('not the origin')
  })

  it('ignores an origin binding that places outside the residency and computes inside it', () => {
    const w = deployment('web', { replicas: 4, residency: { kind: 'regions', regions: ['eu'] } })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 2, 'us1.a': 2 }))
    expect(e.mode).toBe('computed')
    expect(e.reason).toContain('us1.a is outside the residency')
    expect(e.assignments.every((a) => a.cluster.startsWith('eu'))).toBe(true)
  })

  it('ignores a malformed origin binding (a cluster twice)', () => {
    const w = deployment('web', { replicas: 4 })
    const b = bindingOf(w, [{ cluster: 'eu1.a', replicas: 2 }, { cluster: 'eu1.a', replicas: 2 }])
    expect(decide({ clusters: fleet(), policies: [dividedPolicy] }, w, b).mode).toBe('computed')
  })

  it('computes the new generation when the origin binding is for an older one', () => {
    const w = { ...deployment('web', { replicas: 6 }), generation: 2 }
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 6 }, { generation: 1 }))
    expect(e.mode).toBe('computed')
    expect(e.generation).toBe(2)
    expect(e.assignments).toEqual(place(fleet(), w, [dividedPolicy]).assignments)
  })

  it('keeps the older generation\'s placement, degraded, when the new generation cannot be placed anywhere', () => {
    const w = { ...deployment('web', { replicas: 2, requests: { cpu: '500', memory: '1Gi' } }), generation: 2 }
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 1, 'us1.a': 1 }, { generation: 1 }))
    expect(e.mode).toBe('kept')
    expect(asMap(e.assignments)).toEqual({ 'eu1.a': 1, 'us1.a': 1 })
    expect(e.degraded).toMatch(/^generation 2 cannot be placed \(no-feasible-cluster/)
  })

  it('passes the origin binding\'s own degradation through', () => {
    const w = deployment('web', { replicas: 6 })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 3 }, { degraded: 'insufficient-capacity: placed 3 of 6' }))
    expect(e).toMatchObject({ mode: 'origin', degraded: 'insufficient-capacity: placed 3 of 6' })
  })

  it('keeps what survivors placed for a degraded binding when its origin returns, until the origin writes a new binding', () => {
    const w = deployment('web', { replicas: 4 })
    const degraded = bindingOf(w, {}, { degraded: 'no-feasible-cluster: no cluster can take the workload' })
    const during = decide({ clusters: fleet(), policies: [dividedPolicy], unavailableSites: ['eu1'] }, w, degraded)
    expect(during.mode).toBe('failover')
    expect(during.assignments.reduce((s, a) => s + a.replicas, 0)).toBe(4)
    // The origin is back with its old, empty binding: the replicas stay where they run.
    const back = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, degraded, during)
    expect(back.mode).toBe('failover')
    expect(back.assignments).toEqual(during.assignments)
    expect(back.reason).toContain('the origin eu1 is back but its binding is still degraded')
    // And stay through later ticks, however many.
    expect(decide({ clusters: fleet(), policies: [dividedPolicy] }, w, degraded, back).assignments).toEqual(during.assignments)
    // The origin's new binding governs from then on.
    const rewritten = bindingOf(w, { 'us1.a': 4 })
    const after = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, rewritten, back)
    expect(after.mode).toBe('origin')
    expect(asMap(after.assignments)).toEqual({ 'us1.a': 4 })
    // Without a previous failover (a site that never ran it), the degraded binding is taken as written.
    expect(decide({ clusters: fleet(), policies: [dividedPolicy] }, w, degraded).assignments).toEqual([])
  })

  describe('after a restart (no previous decision), from the acting binding the observer wrote', () => {
    const w = deployment('web', { replicas: 3 })
    const degraded = bindingOf(w, {}, { degraded: 'no-feasible-cluster: no cluster can take the workload' })
    const acting = bindingOf(w, { 'us1.a': 3 }, { decidedBy: 'us1', reason: 'failover' })
    const restart = (acted: { binding: ReturnType<typeof bindingOf>, underCurrentBase: boolean }, binding = degraded): EffectivePlacement => {
      const { context } = tick({ clusters: fleet(), policies: [dividedPolicy] })
      return effectivePlacement({ context, workload: w, originBinding: binding, acted })
    }

    it('keeps the failover it ran while its shares report the origin binding it failed over from (simulator seed 1144: 3 ready to 0)', () => {
      const e = restart({ binding: acting, underCurrentBase: true })
      expect(e).toMatchObject({ mode: 'failover', assignments: placement({ 'us1.a': 3 }) })
      expect(e.reason).toContain('the origin eu1 is back but its binding is still degraded')
    })

    it('follows the origin binding when its shares ran under another plan (the origin rewrote it meanwhile)', () => {
      expect(restart({ binding: acting, underCurrentBase: false }).assignments).toEqual([])
      const rewritten = bindingOf(w, { 'eu2.a': 3 })
      expect(restart({ binding: acting, underCurrentBase: false }, rewritten)).toMatchObject({ mode: 'origin', assignments: placement({ 'eu2.a': 3 }) })
    })

    it('restores nothing for another generation, another workload or an empty acting binding', () => {
      expect(restart({ binding: { ...acting, generation: 2 }, underCurrentBase: true }).assignments).toEqual([])
      expect(restart({ binding: { ...acting, workload: 'apps/Deployment/shop/other' }, underCurrentBase: true }).assignments).toEqual([])
      expect(restart({ binding: { ...acting, placement: [] }, underCurrentBase: true }).assignments).toEqual([])
    })

    it('keeps a computed placement it ran, rather than a computation that places nothing, while the origin has written none', () => {
      const full = fleet({ fits: { 'eu1.a': 0, 'eu1.b': 0, 'eu2.a': 0, 'us1.a': 0, 'us2.a': 0 } })
      const { context } = tick({ clusters: full, policies: [dividedPolicy] })
      const computedBefore = bindingOf(w, { 'us1.a': 3 }, { decidedBy: 'us1', reason: 'computed' })
      expect(effectivePlacement({ context, workload: w }).assignments).toEqual([])
      expect(effectivePlacement({ context, workload: w, acted: { binding: computedBefore, underCurrentBase: false } }))
        .toMatchObject({ mode: 'kept', assignments: placement({ 'us1.a': 3 }) })
    })

    it('never lets a restored decision override one the observer made since', () => {
      const { context } = tick({ clusters: fleet(), policies: [dividedPolicy] })
      const origin = effectivePlacement({ context, workload: w, originBinding: degraded })
      const e = effectivePlacement({ context, workload: w, originBinding: degraded, previous: origin, acted: { binding: acting, underCurrentBase: true } })
      expect(e.assignments).toEqual([])
    })
  })

  it('keeps what it runs when the origin binds a new generation nowhere, until the origin writes a binding that runs as many (simulator regional-partition seed 4305: 3 ready to 0)', () => {
    // The origin updated the workload while the clusters running it were still stabilizing
    // in its own view after a partition, and could bind the new generation nowhere.
    const w1 = deployment('web', { replicas: 3 })
    const w2: WorkloadRecord = { ...w1, generation: 2 }
    const t = { clusters: fleet(), policies: [dividedPolicy] }
    const running = decide(t, w1, bindingOf(w1, { 'us1.a': 2, 'us2.a': 1 }))
    expect(running.mode).toBe('origin')
    const nowhere = bindingOf(w2, {}, { degraded: 'no-feasible-cluster: every candidate is stabilizing after a failure' })
    const kept = decide(t, w2, nowhere, running)
    expect(kept).toMatchObject({ mode: 'kept', generation: 2, assignments: running.assignments, degraded: nowhere.degraded })
    expect(kept.reason).toContain('runs 0 of the 3 replicas this site acted on')
    // Held through later ticks, then the origin's placement once it runs as many.
    expect(decide(t, w2, nowhere, kept).assignments).toEqual(running.assignments)
    const placed = bindingOf(w2, { 'us1.a': 3 })
    expect(decide(t, w2, placed, kept)).toMatchObject({ mode: 'origin', assignments: placed.placement })
    // A degraded binding that runs at least as many is taken as written.
    const short = bindingOf(w2, { 'eu2.a': 3 }, { degraded: 'insufficient-capacity: a spread constraint is short of groups' })
    expect(decide(t, w2, short, kept)).toMatchObject({ mode: 'origin', assignments: short.placement })
  })

  it('keeps a failover that runs no more than the degraded binding, through the stabilisation window and after, until the origin writes anew', () => {
    // Found by the simulator (regional-partition seed 75): each side of a partition ran 2 of
    // 3 replicas; after the heal the binding (2 on us1.a) and the failover (2 on eu1.b)
    // run side by side. Going back to the binding alone would drop 4 ready to 2.
    const w = deployment('infer', { replicas: 3 })
    const binding = bindingOf(w, { 'us1.a': 2 }, { degraded: 'insufficient-capacity: placed 2 of 3 replicas' })
    const tight = fleet({ fits: { 'eu1.a': 0, 'eu1.b': 0, 'eu2.a': 0, 'us1.a': 0, 'us2.a': 0 } })
    const down = tick({ clusters: tight, policies: [dividedPolicy], unavailableSites: ['us1'], now: 0 })
    const failover = { ...effectivePlacement({ context: down.context, workload: w, originBinding: binding }), assignments: placement({ 'eu1.b': 2 }), mode: 'failover' as const }
    const stabilizing = tick({ clusters: tight, policies: [dividedPolicy], memory: down.memory, now: 10_000 })
    const held = effectivePlacement({ context: stabilizing.context, workload: w, originBinding: binding, previous: failover })
    expect(held).toMatchObject({ mode: 'failover', assignments: failover.assignments })
    expect(held.reason).toContain('stabilizing')
    const stable = tick({ clusters: tight, policies: [dividedPolicy], memory: stabilizing.memory, now: 41_000 })
    const after = effectivePlacement({ context: stable.context, workload: w, originBinding: binding, previous: held })
    expect(after).toMatchObject({ mode: 'failover', assignments: failover.assignments })
    expect(after.reason).toContain('is back but its binding is still degraded')
    // A clean binding is followed at once, stabilizing clusters or not.
    const clean = bindingOf(w, { 'eu1.b': 1, 'us1.a': 2 })
    expect(effectivePlacement({ context: stable.context, workload: w, originBinding: clean, previous: after })).toMatchObject({ mode: 'origin', assignments: clean.placement })
  })

  it('lets survivors improve a degraded binding while its origin is down', () => {
    const w = deployment('web', { replicas: 6 })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy], unavailableSites: ['eu1'] }, w,
      bindingOf(w, { 'us1.a': 3 }, { degraded: 'insufficient-capacity: placed 3 of 6' }))
    expect(e.mode).toBe('failover')
    expect(e.degraded).toBeUndefined()
    expect(e.assignments.reduce((s, a) => s + a.replicas, 0)).toBe(6)
    expect(e.assignments.some((a) => a.cluster.startsWith('eu1.'))).toBe(false)
  })
})

describe('effectivePlacement: failover', () => {
  it('moves the replicas of a NotReady cluster and only those', () => {
    const w = deployment('web', { replicas: 8 })
    const base = place(fleet(), w, [dividedPolicy]).assignments
    expect(base.find((a) => a.cluster === 'eu2.a')!.replicas).toBeGreaterThan(0)
    const e = decide({ clusters: fleet({ down: ['eu2.a'] }), policies: [dividedPolicy] }, w, bindingOf(w, base))
    expect(e.mode).toBe('failover')
    expect(e.displaced).toEqual([{ cluster: 'eu2.a', replicas: base.find((a) => a.cluster === 'eu2.a')!.replicas, state: 'unavailable', reason: 'health is NotReady as reported by its owner eu2' }])
    const after = asMap(e.assignments)
    expect(after['eu2.a']).toBeUndefined()
    expect(Object.values(after).reduce((s, n) => s + n, 0)).toBe(8)
    // Minimal movement: no surviving cluster loses a replica.
    for (const a of base) if (a.cluster !== 'eu2.a') expect(after[a.cluster]).toBeGreaterThanOrEqual(a.replicas)
    expect(e.assignments).toEqual(place(fleet(), w, [dividedPolicy], ['eu2.a']).assignments)
  })

  it('moves everything off a failed origin site, and every observer holding the same inputs computes the same placement', () => {
    const w = deployment('web', { replicas: 7 })
    const b = bindingOf(w, { 'eu1.a': 4, 'eu1.b': 3 })
    const clusters = fleet()
    const policies = [dividedPolicy, policy('fallback', { resourceSelectors: selectDeployments, placement: {}, priority: -1 })]
    const results = [1, 2, 3, 4].map((seed) => decide({
      clusters: shuffled(clusters, seed), policies: shuffled(policies, seed), unavailableSites: shuffled(['eu1', 'nowhere'], seed)
    }, w, b))
    expect(results[0]!.mode).toBe('failover')
    expect(results[0]!.assignments.some((a) => a.cluster.startsWith('eu1.'))).toBe(false)
    expect(results[0]!.assignments.reduce((s, a) => s + a.replicas, 0)).toBe(7)
    for (const r of results) expect(r).toEqual(results[0])
    expect(results[0]!.displaced.map((d) => d.reason)).toEqual([
      "site eu1 is failed or recovering per this site's failure detector", "site eu1 is failed or recovering per this site's failure detector"])
  })

  it('treats a cluster of the binding that is not in the view as gone', () => {
    const w = deployment('web', { replicas: 4 })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 2, 'zz9.gone': 2 }))
    expect(e.mode).toBe('failover')
    expect(e.displaced).toMatchObject([{ cluster: 'zz9.gone', state: 'unknown' }])
    expect(asMap(e.assignments)['zz9.gone']).toBeUndefined()
  })

  it('does not move a StatefulSet: it stays on its cluster and is reported degraded', () => {
    const w = { ...deployment('db', { replicas: 3, kind: 'StatefulSet' }), stateless: false }
    const policy = pp({}, { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'StatefulSet' }] })
    const e = decide({ clusters: fleet({ down: ['eu2.a'] }), policies: [policy] }, w, bindingOf(w, { 'eu2.a': 3 }))
    expect(e.mode).toBe('kept')
    expect(asMap(e.assignments)).toEqual({ 'eu2.a': 3 })
    expect(e.degraded).toMatch(/^stateful workload \(StatefulSet\) does not move: 3 replicas on eu2\.a \(unavailable: health is NotReady/)
  })

  it('does not move a Deployment with persistent volume claims', () => {
    const w = deployment('files', { replicas: 2 })
    const spec = w.manifest.spec as { template: { spec: Record<string, unknown> } }
    spec.template.spec['volumes'] = [{ name: 'data', persistentVolumeClaim: { claimName: 'files' } }]
    const e = decide({ clusters: fleet(), policies: [dividedPolicy], unavailableSites: ['us1'] }, { ...w, stateless: false }, bindingOf(w, { 'us1.a': 2 }))
    expect(e.mode).toBe('kept')
    expect(e.degraded).toContain('stateful workload (Deployment with persistent volume claims) does not move')
  })

  it('treats a workload as stateful when its manifest says so even if the record claims stateless', () => {
    const w = deployment('files', { replicas: 2 })
    const spec = w.manifest.spec as { template: { spec: Record<string, unknown> } }
    spec.template.spec['volumes'] = [{ name: 'data', persistentVolumeClaim: { claimName: 'files' } }]
    expect(decide({ clusters: fleet(), policies: [dividedPolicy], unavailableSites: ['us1'] }, w, bindingOf(w, { 'us1.a': 2 })).mode).toBe('kept')
  })

  it('does not move a DaemonSet, and says why', () => {
    const w = deployment('agent', { kind: 'DaemonSet' })
    const policy = pp({}, { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }] })
    const e = decide({ clusters: fleet(), policies: [policy], unavailableSites: ['us1'] }, w, bindingOf(w, { 'eu1.a': 1, 'us1.a': 1 }))
    expect(e.mode).toBe('kept')
    expect(e.degraded).toMatch(/^DaemonSet \(bound to the nodes of its clusters\) does not move: 1 replicas on us1\.a/)
  })

  it('keeps a region-restricted workload in place, degraded, when its region has no other cluster — never outside it', () => {
    const w = deployment('ledger', { replicas: 2, residency: { kind: 'regions', regions: ['ap'] } })
    const clusters = [...fleet(), cluster('ap1.a', { region: 'ap', zone: 'ap-a' })]
    const e = decide({ clusters, policies: [dividedPolicy], unavailableSites: ['ap1'] }, w, bindingOf(w, { 'ap1.a': 2 }))
    expect(e.mode).toBe('kept')
    expect(asMap(e.assignments)).toEqual({ 'ap1.a': 2 })
    expect(e.degraded).toMatch(/^2 replicas cannot move off ap1\.a: residency: /)
  })

  it('moves a region-restricted workload within its region when another cluster is there', () => {
    const w = deployment('ledger', { replicas: 4, residency: { kind: 'regions', regions: ['us'] } })
    const e = decide({ clusters: fleet(), policies: [dividedPolicy], unavailableSites: ['us1'] }, w, bindingOf(w, { 'us1.a': 2, 'us2.a': 2 }))
    expect(e.mode).toBe('failover')
    expect(asMap(e.assignments)).toEqual({ 'us2.a': 4 })
  })

  it('keeps the old placement, degraded, when nothing left can run the displaced replicas', () => {
    const w = deployment('web', { replicas: 4 })
    const fits = { 'eu1.b': 0, 'eu2.a': 0, 'us1.a': 0, 'us2.a': 0 }
    const e = decide({ clusters: fleet({ fits }), policies: [dividedPolicy], unavailableSites: ['eu1'] }, w, bindingOf(w, { 'eu1.a': 4 }))
    expect(e.mode).toBe('kept')
    expect(asMap(e.assignments)).toEqual({ 'eu1.a': 4 })
    expect(e.degraded).toMatch(/^4 replicas cannot move off eu1\.a: no-feasible-cluster: /)
  })

  it('takes a partial recomputation that runs more replicas than what survives, degraded', () => {
    const w = deployment('web', { replicas: 6 })
    // us1.a is full with its own 3; eu2.a has room for 2: five of six beat the three that survive.
    const fits = { 'eu1.b': 0, 'eu2.a': 2, 'us1.a': 0, 'us2.a': 0 }
    const e = decide({ clusters: fleet({ fits, down: ['eu1.a'] }), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 3, 'us1.a': 3 }))
    expect(e.mode).toBe('failover')
    expect(asMap(e.assignments)).toEqual({ 'eu2.a': 2, 'us1.a': 3 })
    expect(e.degraded).toMatch(/^insufficient-capacity: /)
  })

  it('counts the room the workload\'s own surviving replicas hold: displaced replicas that fit beside them move', () => {
    const w = deployment('web', { replicas: 6 })
    // us1.a runs 3 of the workload and has free room for 3 more: all six fit there (the free room alone holds only three).
    const fits = { 'eu1.b': 0, 'eu2.a': 0, 'us1.a': 3, 'us2.a': 0 }
    const e = decide({ clusters: fleet({ fits, down: ['eu1.a'] }), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 3, 'us1.a': 3 }))
    expect(e.mode).toBe('failover')
    expect(asMap(e.assignments)).toEqual({ 'us1.a': 6 })
    expect(e.degraded).toBeUndefined()
  })

  it('keeps the old placement when the best effort runs no more than what survives', () => {
    const w = deployment('web', { replicas: 6 })
    // us1.a is full with its own 3 and nothing else has room: the best effort cannot beat the 3 that survive.
    const fits = { 'eu1.b': 0, 'eu2.a': 0, 'us1.a': 0, 'us2.a': 0 }
    const e = decide({ clusters: fleet({ fits, down: ['eu1.a'] }), policies: [dividedPolicy] }, w, bindingOf(w, { 'eu1.a': 3, 'us1.a': 3 }))
    expect(e.mode).toBe('kept')
    expect(asMap(e.assignments)).toEqual({ 'eu1.a': 3, 'us1.a': 3 })
  })

  it('keeps the placement when no policy selects the workload any more rather than deleting it', () => {
    const w = deployment('web', { replicas: 2 })
    const e = decide({ clusters: fleet(), policies: [], unavailableSites: ['us1'] }, w, bindingOf(w, { 'us1.a': 2 }))
    expect(e.mode).toBe('kept')
    expect(e.degraded).toContain('no propagation policy selects the workload any more')
  })
})

describe('effectivePlacement: fail-back', () => {
  const w = deployment('web', { replicas: 6 })
  const b = bindingOf(w, { 'eu2.a': 3, 'us1.a': 3 })

  /** eu2 fails at t=0 and returns at t=10 s; the observer ticks at the given times. */
  function timeline (times: number[], policies: PolicyRecord[], o: { keepPrevious?: boolean, settings?: Partial<FailoverSettings> } = {}): EffectivePlacement[] {
    let memory = new Map() as ReturnType<typeof tick>['memory']
    let previous: EffectivePlacement | undefined
    const out: EffectivePlacement[] = []
    for (const now of [-1000, ...times]) {
      const down = now >= 0 && now < 10_000 ? ['eu2'] : []
      const t = tick({ clusters: fleet(), policies, unavailableSites: down, memory, now, ...(o.settings !== undefined ? { settings: o.settings } : {}) })
      memory = t.memory
      const e = effectivePlacement({ context: t.context, workload: w, originBinding: b, ...(previous !== undefined && o.keepPrevious !== false ? { previous } : {}) })
      previous = e
      if (now >= 0) out.push(e)
    }
    return out
  }

  it('after stabilisation: stays failed over while the returned site stabilises, then returns to the origin binding', () => {
    const [down, back, almost, stable] = timeline([0, 10_000, 39_999, 40_000], [dividedPolicy])
    expect(down!.mode).toBe('failover')
    expect(asMap(down!.assignments)['eu2.a']).toBeUndefined()
    expect(back!.mode).toBe('failover')
    expect(back!.assignments).toEqual(down!.assignments)
    expect(back!.displaced).toMatchObject([{ cluster: 'eu2.a', state: 'stabilizing' }])
    expect(almost!.mode).toBe('failover')
    expect(stable!.mode).toBe('origin')
    expect(stable!.assignments).toEqual(b.placement)
  })

  it('uses the policy\'s own stabilisation window over the site default', () => {
    const policy = pp({ ...divided }, { failover: { failback: { policy: 'AfterStabilization', stabilizationSeconds: 5 } } })
    const [, back, stable] = timeline([0, 10_000, 15_000], [policy])
    expect(back!.mode).toBe('failover')
    expect(stable!.mode).toBe('origin')
    expect(stable!.failback).toEqual({ policy: 'after-stabilization', windowMs: 5000, source: 'policy' })
  })

  it('never: stays on the failover placement after the window, until the origin writes a new binding', () => {
    const policy = pp({ ...divided }, { failover: { failback: { policy: 'Never' } } })
    const [down, , , later] = timeline([0, 10_000, 40_000, 100_000], [policy])
    expect(later!.mode).toBe('failover')
    expect(later!.assignments).toEqual(down!.assignments)
    expect(later!.reason).toContain('fail-back is Never (policy)')
    // The origin adopts the failover placement as its new binding: every site follows it.
    const t = tick({ clusters: fleet(), policies: [policy], now: 100_000 })
    const adopted = effectivePlacement({ context: t.context, workload: w, originBinding: bindingOf(w, down!.assignments), previous: later! })
    expect(adopted).toMatchObject({ mode: 'origin', assignments: down!.assignments })
  })

  it('never, as the site default', () => {
    const [down, , , later] = timeline([0, 10_000, 40_000, 100_000], [dividedPolicy], { settings: { failback: 'never' } })
    expect(later).toMatchObject({ mode: 'failover', assignments: down!.assignments, failback: { policy: 'never', source: 'site' } })
  })

  it('never, without memory of the failover (a restarted observer), follows the origin binding once the window has passed', () => {
    const policy = pp({ ...divided }, { failover: { failback: { policy: 'Never' } } })
    const [, back, , later] = timeline([0, 10_000, 40_000, 100_000], [policy], { keepPrevious: false })
    expect(back!.mode).toBe('failover')
    expect(later!.mode).toBe('origin')
  })
})
