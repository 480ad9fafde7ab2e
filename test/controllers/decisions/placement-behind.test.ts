import { describe, expect, it } from 'vitest'
import { differsFrom, effectivePlacement, originBinding, placementBehind } from '../../../src/controllers/decisions/index.ts'
import type { ClusterRecord } from '../../../src/model/federation.ts'
import { cluster, deployment, pp } from '../../schedule/fixtures.ts'
import { asMap, bindingOf, share, tick } from './fixtures.ts'

const divided = pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })
const w = deployment('web', { replicas: 8 })
/** Two clusters the workload's own 8 Ready replicas fill: no free room left in either. */
const full: ClusterRecord[] = [cluster('eu1.a', { fits: 0 }), cluster('us1.a', { region: 'us', fits: 0 })]
const shares = [share(w, 'eu1.a', 4), share(w, 'us1.a', 4)]
const binding = bindingOf(w, { 'eu1.a': 4, 'us1.a': 4 }, { policy: 'PropagationPolicy/default/pp' })

describe('placementBehind', () => {
  it('recomputes the origin\'s decision with the room the workload\'s Ready replicas hold, as the origin does', () => {
    const t = tick({ clusters: full, policies: [divided] })
    // The origin keeps its binding: placed again, the workload fits where it runs.
    expect(originBinding({ context: t.context, workload: w, current: binding, shares })).toMatchObject({ write: false })
    const d = placementBehind({ context: t.context, workload: w, shares })
    expect(asMap(d.assignments)).toEqual({ 'eu1.a': 4, 'us1.a': 4 })
    expect(d.degraded).toBeUndefined()
    expect(differsFrom(d, binding.placement)).toBeUndefined()
    // Without its own room given back the scheduler finds both clusters full.
    expect(placementBehind({ context: t.context, workload: w, shares: [] }).assignments).toEqual([])
  })

  it('says where a sticky binding differs from the decision placed now', () => {
    const wider = [...full, cluster('ap1.a', { region: 'ap', fits: 10 })]
    const t = tick({ clusters: wider, policies: [divided] })
    expect(originBinding({ context: t.context, workload: w, current: binding, shares, previousNow: 0 })).toMatchObject({ write: false, placement: binding.placement })
    const d = placementBehind({ context: t.context, workload: w, shares })
    expect(asMap(d.assignments)['ap1.a']).toBeGreaterThan(0)
    expect(differsFrom(d, binding.placement)).toBe(`in force: eu1.a=4 us1.a=4; placed now: ${d.assignments.map((a) => `${a.cluster}=${a.replicas}`).join(' ')}`)
  })

  it('recomputes a failover from the origin binding and the placement it started from, as effectivePlacement does', () => {
    const fleet = [...full, cluster('ap1.a', { region: 'ap', fits: 10 })]
    const t = tick({ clusters: fleet, policies: [divided], unavailableSites: ['us1'] })
    const e = effectivePlacement({ context: t.context, workload: w, originBinding: binding })
    expect(e.mode).toBe('failover')
    const d = placementBehind({ context: t.context, workload: w, shares, effective: e, previous: binding.placement })
    expect(d.assignments).toEqual(e.assignments)
    expect(asMap(d.assignments)['us1.a']).toBeUndefined()
  })
})
