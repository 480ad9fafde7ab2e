import { describe, expect, it } from 'vitest'
import {
  clusterAvailability, stabilizedSince, stabilizingWithin, trackAvailability, type AvailabilityMemory
} from '../../../src/controllers/decisions/index.ts'
import { isFlotillaError } from '../../../src/model/errors.ts'
import type { ClusterRecord } from '../../../src/model/federation.ts'
import { cluster } from '../../schedule/fixtures.ts'

const WINDOW = 30_000

function clusters (o: { notReady?: string[], unknown?: string[] } = {}): ClusterRecord[] {
  return ['s1.a', 's1.b', 's2.a', 's3.a'].map((id) => cluster(id, {
    health: o.notReady?.includes(id) === true ? 'NotReady' : o.unknown?.includes(id) === true ? 'Unknown' : 'Ready'
  }))
}

/** Runs the observer's bookkeeping over ticks; returns the availability at each. */
function run (steps: Array<{ now: number, down?: string[], notReady?: string[], unknown?: string[] }>) {
  let memory: AvailabilityMemory = new Map()
  return steps.map((s) => {
    const cs = clusters({ notReady: s.notReady ?? [], unknown: s.unknown ?? [] })
    const sites = new Set(s.down ?? [])
    memory = trackAvailability(memory, cs, sites, s.now)
    return clusterAvailability({ clusters: cs, unavailableSites: sites, memory, now: s.now, stabilizationMs: WINDOW })
  })
}

describe('clusterAvailability', () => {
  it('holds every cluster of an unavailable site unavailable, with the reason', () => {
    const [a] = run([{ now: 5, down: ['s1'] }])
    expect([...a!.unavailable]).toEqual(['s1.a', 's1.b'])
    expect(a!.reasons.get('s1.a')).toBe("site s1 is failed or recovering per this site's failure detector")
    expect(a!.unavailableSince.get('s1.b')).toBe(5)
    expect(a!.stabilizing.size).toBe(0)
  })

  it('holds a cluster unavailable when its owner reports it NotReady or Unknown', () => {
    const cs = clusters({ notReady: ['s2.a'], unknown: ['s3.a'] })
    const a = clusterAvailability({ clusters: cs, unavailableSites: new Set(), memory: new Map(), now: 0, stabilizationMs: WINDOW })
    expect([...a.unavailable]).toEqual(['s2.a', 's3.a'])
    expect(a.reasons.get('s2.a')).toBe('health is NotReady as reported by its owner s2')
    expect(a.reasons.get('s3.a')).toBe('health is Unknown as reported by its owner s3')
  })

  it('does not hold clusters first seen available as stabilizing (nothing came back)', () => {
    const [a] = run([{ now: 1000 }])
    expect(a!.unavailable.size).toBe(0)
    expect(a!.stabilizing.size).toBe(0)
    expect(a!.returnedAt.size).toBe(0)
  })

  it('does not hold a cluster stabilizing when its owner had only ever reported it Unknown (a driver starting up)', () => {
    const [first, ready] = run([{ now: 0, unknown: ['s1.a'] }, { now: 2000 }])
    expect(first!.unavailable.has('s1.a')).toBe(true)
    expect(ready!.unavailable.has('s1.a')).toBe(false)
    expect(ready!.stabilizing.has('s1.a')).toBe(false)
    expect(ready!.returnedAt.has('s1.a')).toBe(false)
  })

  it('holds a cluster stabilizing when it comes back after being Ready, then Unknown', () => {
    const [, , back] = run([{ now: 0 }, { now: 1000, unknown: ['s1.a'] }, { now: 5000 }])
    expect(back!.stabilizing.has('s1.a')).toBe(true)
  })

  it('holds a returned cluster stabilizing for the window, then available', () => {
    const [, back, almost, stable] = run([
      { now: 0, down: ['s2'] }, { now: 10_000 }, { now: 39_999 }, { now: 40_000 }
    ])
    expect([...back!.stabilizing]).toEqual(['s2.a'])
    expect(back!.reasons.get('s2.a')).toBe('available again, within its 30 s stabilisation window')
    expect(almost!.reasons.get('s2.a')).toBe(back!.reasons.get('s2.a'))
    expect(almost!.stabilizing.has('s2.a')).toBe(true)
    expect(stable!.stabilizing.has('s2.a')).toBe(false)
    expect(stable!.returnedAt.get('s2.a')).toBe(10_000)
  })

  it('restarts the window when a returned cluster flaps', () => {
    const steps = run([
      { now: 0, notReady: ['s3.a'] }, { now: 10_000 }, { now: 20_000, notReady: ['s3.a'] }, { now: 25_000 }, { now: 50_000 }, { now: 55_000 }
    ])
    expect(steps[2]!.unavailableSince.get('s3.a')).toBe(20_000)
    expect(steps[4]!.stabilizing.has('s3.a')).toBe(true)
    expect(steps[5]!.stabilizing.has('s3.a')).toBe(false)
  })

  it('gives the same answer from a memory that was not yet updated for this tick', () => {
    const cs = clusters()
    const before = trackAvailability(new Map(), cs, new Set(['s2']), 0)
    const updated = trackAvailability(before, cs, new Set(), 10_000)
    const args = { clusters: cs, unavailableSites: new Set<string>(), now: 10_000, stabilizationMs: WINDOW }
    expect(clusterAvailability({ ...args, memory: before })).toEqual(clusterAvailability({ ...args, memory: updated }))
  })

  it('refuses a non-finite time or a negative window, naming the argument', () => {
    const go = (now: number, stabilizationMs: number) => () => clusterAvailability({ clusters: [], unavailableSites: new Set(), memory: new Map(), now, stabilizationMs })
    expect(go(Number.NaN, 1)).toThrow(/'now' must be a finite number of milliseconds: received NaN/)
    expect(go(0, -1)).toThrow(/'stabilizationMs' must be a finite non-negative number of milliseconds: received -1/)
    let caught: unknown
    try { go(0, -1)() } catch (e) { caught = e }
    expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
  })
})

describe('trackAvailability', () => {
  it('changes a record only on a transition and forgets clusters gone from the view', () => {
    const cs = clusters()
    const m1 = trackAvailability(new Map(), cs, new Set(), 0)
    const m2 = trackAvailability(m1, cs, new Set(), 5000)
    expect(m2.get('s1.a')).toBe(m1.get('s1.a'))
    expect(m2.get('s1.a')).toEqual({ available: true, since: 0, returned: false, everKnown: true })
    const m3 = trackAvailability(m2, cs, new Set(['s1']), 6000)
    expect(m3.get('s1.a')).toEqual({ available: false, since: 6000, returned: false, everKnown: true })
    const m4 = trackAvailability(m3, cs.filter((c) => c.id !== 's3.a'), new Set(), 7000)
    expect(m4.get('s1.a')).toEqual({ available: true, since: 7000, returned: true, everKnown: true })
    expect(m4.has('s3.a')).toBe(false)
  })
})

describe('stabilisation windows', () => {
  const [, , at20s] = run([{ now: 0, down: ['s2'] }, { now: 10_000 }, { now: 20_000 }])

  it('answers for a policy\'s own window', () => {
    expect([...stabilizingWithin(at20s!, 5000)]).toEqual([])
    expect([...stabilizingWithin(at20s!, 60_000)]).toEqual(['s2.a'])
    expect(stabilizingWithin(at20s!, WINDOW)).toBe(at20s!.stabilizing)
  })

  it('names the clusters whose window ended since the previous tick (the origin\'s fail-back trigger)', () => {
    expect(stabilizedSince(at20s!, 14_000, 5000)).toEqual(['s2.a'])
    expect(stabilizedSince(at20s!, 15_000, 5000)).toEqual([])
    expect(stabilizedSince(at20s!, 14_000, WINDOW)).toEqual([])
  })
})
