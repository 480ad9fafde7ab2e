import { describe, expect, it } from 'vitest'
import type { EffectivePlacement } from '../../src/controllers/decisions/index.ts'
import { createHandBacks } from '../../src/site/hand-backs.ts'

const base = { decidedBy: 'eu', generation: 1, assignments: [{ cluster: 'eu.c1', replicas: 2 }] }
const failback = { policy: 'after-stabilization' as const, windowMs: 30_000, source: 'site' as const }
const placed = (mode: EffectivePlacement['mode'], assignments: EffectivePlacement['assignments'], b = base): EffectivePlacement =>
  ({ workload: 'w', generation: 1, assignments, mode, reason: '', failback, base: b, displaced: [] })

describe('hand-backs', () => {
  const failover = placed('failover', [{ cluster: 'ap.c1', replicas: 2 }, { cluster: 'us.c1', replicas: 1 }])
  const origin = placed('origin', base.assignments)

  it('keeps this site\'s failover replicas beside the origin binding for one window, then lets them go', () => {
    const h = createHandBacks((c) => c.startsWith('ap.'))
    expect(h.assignments('w', failover, origin, 1_000)).toEqual([{ cluster: 'ap.c1', replicas: 2 }, { cluster: 'eu.c1', replicas: 2 }])
    expect(h.startedAt()).toEqual([1_000])
    expect(h.assignments('w', origin, origin, 30_999)).toEqual([{ cluster: 'ap.c1', replicas: 2 }, { cluster: 'eu.c1', replicas: 2 }])
    expect(h.assignments('w', origin, origin, 31_000)).toEqual(base.assignments)
    expect(h.startedAt()).toEqual([])
  })

  it('ends a hand-back at once when the origin writes a new binding, and starts none without own replicas', () => {
    const h = createHandBacks((c) => c.startsWith('ap.'))
    h.assignments('w', failover, origin, 0)
    const rewritten = placed('origin', [{ cluster: 'us.c1', replicas: 2 }], { ...base, generation: 2 })
    expect(h.assignments('w', origin, rewritten, 1_000)).toEqual(rewritten.assignments)
    const elsewhere = createHandBacks((c) => c.startsWith('eu.'))
    expect(elsewhere.assignments('w', failover, origin, 0)).toEqual(base.assignments)
    expect(elsewhere.startedAt()).toEqual([])
  })

  it('forgets workloads no longer decided', () => {
    const h = createHandBacks((c) => c.startsWith('ap.'))
    h.assignments('w', failover, origin, 0)
    h.retain(new Set(['other']))
    expect(h.startedAt()).toEqual([])
  })
})
