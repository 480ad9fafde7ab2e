import { describe, expect, it } from 'vitest'
import { aggregateStatus } from '../../../src/controllers/decisions/index.ts'
import { deployment } from '../../schedule/fixtures.ts'
import { bindingOf, share } from './fixtures.ts'

const w = deployment('web', { replicas: 6 })
const origin = bindingOf(w, { 'eu1.a': 3, 'us1.a': 3 })

describe('aggregateStatus', () => {
  it('reports ready of desired per cluster and overall', () => {
    const s = aggregateStatus(w, [origin], [share(w, 'eu1.a', 3), share(w, 'us1.a', 1, { desired: 3, available: 1 })])
    expect(s).toMatchObject({ desired: 6, ready: 4, available: 4, phase: 'Progressing', summary: '4/6 ready on 2 clusters', degraded: [] })
    expect(s.clusters).toEqual([
      { cluster: 'eu1.a', site: 'eu1', planned: 3, acting: 3, desired: 3, ready: 3, available: 3, upToDate: true, extra: false },
      { cluster: 'us1.a', site: 'us1', planned: 3, desired: 3, ready: 1, available: 1, upToDate: true, extra: false }
    ])
  })

  it('is Ready when the planned replicas are ready at the current generation', () => {
    const s = aggregateStatus(w, [origin], [share(w, 'eu1.a', 3), share(w, 'us1.a', 3)])
    expect(s).toMatchObject({ phase: 'Ready', summary: '6/6 ready on 2 clusters' })
  })

  it('does not count replicas of an older generation as Ready', () => {
    const w2 = { ...w, generation: 2 }
    const s = aggregateStatus(w2, [{ ...origin, generation: 2 }], [share(w, 'eu1.a', 3), share(w2, 'us1.a', 3)])
    expect(s.phase).toBe('Progressing')
    expect(s.clusters.find((c) => c.cluster === 'eu1.a')!.upToDate).toBe(false)
  })

  it('shows a failed-over workload as ready on its new clusters, with the extra rows marked', () => {
    const acting = bindingOf(w, { 'us2.a': 3 }, { decidedBy: 'us2' })
    const s = aggregateStatus(w, [origin, acting], [share(w, 'us1.a', 3), share(w, 'us2.a', 3)])
    expect(s).toMatchObject({ ready: 6, phase: 'Ready', summary: '6/6 ready on 2 clusters (1 outside the plan, draining or failed over)' })
    expect(s.clusters.find((c) => c.cluster === 'us2.a')).toMatchObject({ planned: 0, acting: 3, extra: true })
    expect(s.clusters.find((c) => c.cluster === 'eu1.a')).toMatchObject({ planned: 3, ready: 0 })
  })

  it('an acting binding speaks only for its writer\'s clusters', () => {
    const lying = bindingOf(w, { 'eu1.a': 0, 'us2.a': 1 }, { decidedBy: 'us2' })
    const s = aggregateStatus(w, [origin, lying], [])
    expect(s.clusters.find((c) => c.cluster === 'eu1.a')!.acting).toBe(3)
  })

  it('collects degradation from the bindings and errors from the shares', () => {
    const acting = bindingOf(w, { 'us1.a': 3 }, { decidedBy: 'us1', degraded: 'stateful workload does not move' })
    const s = aggregateStatus(w, [{ ...origin, degraded: 'insufficient-capacity: placed 6 of 8' }, acting],
      [share(w, 'us1.a', 0, { desired: 3, error: { code: 'apply-failed', message: 'quota exceeded' } })])
    expect(s.phase).toBe('Degraded')
    expect(s.degraded).toEqual([
      'eu1 (origin): insufficient-capacity: placed 6 of 8',
      'us1.a: apply-failed: quota exceeded',
      'us1: stateful workload does not move'
    ])
  })

  it('is Pending before any placement and Unplaced when the origin placed it nowhere', () => {
    expect(aggregateStatus(w, [], [])).toMatchObject({ phase: 'Pending', desired: 6, ready: 0, summary: '0/6 ready on 0 clusters; no placement yet' })
    expect(aggregateStatus(w, [bindingOf(w, {})], [])).toMatchObject({ phase: 'Unplaced', desired: 0 })
    expect(aggregateStatus({ ...w, generation: 3 }, [origin], [])).toMatchObject({ phase: 'Pending', summary: '0/6 ready on 0 clusters; placement for generation 3 pending' })
  })
})
