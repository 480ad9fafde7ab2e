import { describe, expect, it } from 'vitest'
import { ownShares, type OwnShare, type OwnSharesInput } from '../../../src/controllers/decisions/index.ts'
import type { ShareStatus } from '../../../src/model/federation.ts'
import { cluster, deployment } from '../../schedule/fixtures.ts'
import { placement, share, tick } from './fixtures.ts'

const w = deployment('web', { replicas: 6 })
const ALL = ['s1', 's2', 's3']
const fleet = (notReady: string[] = []) => ['s1.a', 's1.b', 's2.a', 's3.a'].map((id) => cluster(id, { health: notReady.includes(id) ? 'NotReady' : 'Ready' }))

function decide (o: {
  site?: string
  effective: Record<string, number>
  current: Record<string, number>
  ready?: Record<string, number>
  shares?: ShareStatus[]
  notReady?: string[]
  down?: string[]
  trusted?: string[]
  now?: number
  goneAt?: number
  basis?: string
}): Record<string, OwnShare> {
  // The observer's memory: what is down now went down at `goneAt`.
  const before = tick({ clusters: fleet(), policies: [], now: o.goneAt ?? 0 })
  const t = tick({ clusters: fleet(o.notReady), policies: [], unavailableSites: o.down ?? [], memory: before.memory, now: o.goneAt ?? 0 })
  const input: OwnSharesInput = {
    site: o.site ?? 's1',
    effective: placement(o.effective),
    current: new Map(Object.entries(o.current)),
    shares: o.shares ?? Object.entries(o.ready ?? {}).map(([c, n]) => share(w, c, n)),
    availability: { ...t.availability, now: o.now ?? 0 },
    trustedSites: new Set(o.trusted ?? ALL),
    now: o.now ?? 0,
    evictionTimeoutMs: 60_000,
    ...(o.basis !== undefined ? { basis: o.basis } : {})
  }
  return Object.fromEntries(ownShares(input))
}

describe('ownShares', () => {
  it('starts a new share and grows one at once', () => {
    const d = decide({ effective: { 's1.a': 3, 's1.b': 2, 's2.a': 1 }, current: { 's1.b': 1 } })
    expect(d['s1.a']).toMatchObject({ replicas: 3, target: 3, action: 'start' })
    expect(d['s1.b']).toMatchObject({ replicas: 2, target: 2, action: 'scale-up', reason: 'placed here: grow 1 → 2' })
    expect(Object.keys(d)).toEqual(['s1.a', 's1.b'])
  })

  it('decides only the observer\'s own clusters', () => {
    const d = decide({ site: 's2', effective: { 's1.a': 3, 's2.a': 3 }, current: { 's1.a': 9, 's2.a': 3 } })
    expect(Object.keys(d)).toEqual(['s2.a'])
    expect(d['s2.a']).toMatchObject({ replicas: 3, action: 'steady' })
  })

  it('keeps a share that moved away until its replacement is Ready', () => {
    const eff = { 's2.a': 3, 's3.a': 3 }
    expect(decide({ effective: eff, current: { 's1.a': 3 }, ready: { 's1.a': 3, 's2.a': 3, 's3.a': 2 } })['s1.a'])
      .toMatchObject({ replicas: 3, target: 0, action: 'draining', reason: 'keeping 3 (asked 0) until the replacement is Ready: 5 of 6 ready elsewhere' })
    expect(decide({ effective: eff, current: { 's1.a': 3 }, ready: { 's1.a': 3, 's2.a': 3, 's3.a': 3 } })['s1.a'])
      .toMatchObject({ replicas: 0, target: 0, action: 'stop' })
  })

  it('shrinks a share once the other clusters run what they are asked', () => {
    const eff = { 's1.a': 2, 's2.a': 4 }
    expect(decide({ effective: eff, current: { 's1.a': 6 }, ready: { 's1.a': 6, 's2.a': 3 } })['s1.a']).toMatchObject({ replicas: 6, action: 'draining' })
    expect(decide({ effective: eff, current: { 's1.a': 6 }, ready: { 's1.a': 6, 's2.a': 4 } })['s1.a']).toMatchObject({ replicas: 2, action: 'scale-down' })
  })

  it('counts a replacement Ready only under the plan it acts on itself (no swap between two bindings), or one that names none', () => {
    // s1 acts on the binding that moved the workload to s2.a; s2 still reports under the previous one.
    const under = (basis: string | undefined): ShareStatus[] => [{ ...share(w, 's2.a', 3), ...(basis !== undefined ? { basis } : {}) }]
    const table: Array<[string | undefined, string | undefined, string]> = [
      ['b2', 'b1', 'draining'],
      ['b2', 'b2', 'stop'],
      ['b2', undefined, 'stop'],
      [undefined, 'b1', 'stop']
    ]
    for (const [mine, theirs, action] of table) {
      const d = decide({ effective: { 's2.a': 3 }, current: { 's1.a': 3 }, shares: under(theirs), ...(mine !== undefined ? { basis: mine } : {}) })
      expect(d['s1.a']?.action, `mine ${String(mine)}, theirs ${String(theirs)}`).toBe(action)
    }
  })

  it('does not count ready replicas reported by a site it does not hold alive', () => {
    const d = decide({ effective: { 's2.a': 3 }, current: { 's1.a': 3 }, ready: { 's2.a': 3 }, trusted: ['s1', 's3'] })
    expect(d['s1.a']).toMatchObject({ replicas: 3, action: 'draining' })
  })

  it('does not count ready replicas on a cluster it holds unavailable (a failed site\'s last report)', () => {
    const d = decide({ effective: { 's2.a': 3 }, current: { 's1.a': 3 }, ready: { 's2.a': 3 }, down: ['s2'] })
    expect(d['s1.a']).toMatchObject({ replicas: 3, action: 'draining' })
  })

  it('counts every ready replica elsewhere, including a draining surplus: serving capacity is what matters', () => {
    // s2.a still runs 6 while it drains to 3; s3.a has not started: 6 ready elsewhere cover the 6 asked.
    const d = decide({ effective: { 's2.a': 3, 's3.a': 3 }, current: { 's1.a': 3 }, ready: { 's2.a': 6, 's3.a': 0 } })
    expect(d['s1.a']).toMatchObject({ replicas: 0, action: 'stop' })
    const s2 = decide({ site: 's2', effective: { 's2.a': 3, 's3.a': 3 }, current: { 's2.a': 6 }, ready: { 's2.a': 6, 's3.a': 0 } })
    expect(s2['s2.a']).toMatchObject({ replicas: 6, action: 'draining' })
  })

  it('lets a share on a gone cluster go after the eviction timeout, not before', () => {
    const base = { effective: { 's2.a': 3 }, current: { 's1.a': 3 }, ready: { 's2.a': 1 }, notReady: ['s1.a'], goneAt: 1000 }
    expect(decide({ ...base, now: 60_999 })['s1.a']).toMatchObject({ replicas: 3, action: 'draining' })
    expect(decide({ ...base, now: 61_000 })['s1.a']).toMatchObject({
      replicas: 0, action: 'evicted', reason: 'cluster unavailable for 60000 ms (eviction timeout 60000 ms): 3 → 0 though only 1 of 3 are ready elsewhere'
    })
  })

  it('never applies the eviction timeout to a share whose cluster is up', () => {
    const d = decide({ effective: { 's2.a': 3 }, current: { 's1.a': 3 }, ready: { 's2.a': 0 }, now: 1_000_000 })
    expect(d['s1.a']).toMatchObject({ replicas: 3, action: 'draining' })
  })

  it('removes every share at once when the workload is placed nowhere (deleted from propagation on purpose)', () => {
    const d = decide({ effective: {}, current: { 's1.a': 3, 's1.b': 1 } })
    expect(d['s1.a']).toMatchObject({ replicas: 0, action: 'stop' })
    expect(d['s1.b']).toMatchObject({ replicas: 0, action: 'stop' })
  })

  it('refuses a bad current replica count, naming the cluster', () => {
    expect(() => decide({ effective: {}, current: { 's1.a': 1.5 } })).toThrow(/'current' of s1\.a must be a whole non-negative replica count: received 1.5/)
  })
})
