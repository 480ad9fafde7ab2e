import { describe, expect, it } from 'vitest'
import { createEvidenceBatch } from '../../src/site/evidence-batch.ts'
import { asPeerId } from '../../src/ports/network.ts'
import type { Misbehaviour } from '../../src/replication/peer-guard.ts'

const fault = (peer: string, kind: Misbehaviour['kind'] = 'malformed', detail = 'bad bytes'): Misbehaviour => ({ peer: asPeerId(peer), kind, detail })

describe('evidence batch', () => {
  it('hands a new fault over at once and holds its repeats until the hold after its record was written', () => {
    const b = createEvidenceBatch(10_000)
    expect(b.add(fault('p'), 0)).toBe(true)
    const first = b.take(100)
    expect(first.map((e) => e.count)).toEqual([1])
    b.written(first, 100)
    expect(b.add(fault('p', 'malformed', 'two'), 200)).toBe(false)
    expect(b.add(fault('p', 'malformed', 'three'), 300)).toBe(false)
    expect(b.hasNew()).toBe(false)
    expect(b.dueAt()).toBe(10_100)
    expect(b.take(5_000)).toEqual([])
    const later = b.take(10_100)
    expect(later.map((e) => [e.count, e.m.detail])).toEqual([[2, 'three']])
    b.written(later, 10_100)
    expect(b.dueAt()).toBeUndefined()
  })

  it('keeps faults of another kind or another peer apart, each new on its own', () => {
    const b = createEvidenceBatch(10_000)
    b.written([{ m: fault('p'), count: 1 }], 0)
    expect(b.add(fault('q'), 1)).toBe(true)
    expect(b.add(fault('p', 'flood'), 1)).toBe(true)
    expect(b.add(fault('p'), 1)).toBe(false)
    expect(b.take(2).map((e) => `${e.m.peer}/${e.m.kind}`)).toEqual(['q/malformed', 'p/flood'])
  })

  it('hands over every held repeat once one of them is due, so several kinds cost one change', () => {
    const b = createEvidenceBatch(10_000)
    b.written([{ m: fault('p'), count: 1 }], 0)
    b.written([{ m: fault('p', 'flood'), count: 1 }], 4_000)
    expect(b.add(fault('p'), 5_000)).toBe(false)
    expect(b.add(fault('p', 'flood'), 5_000)).toBe(false)
    expect(b.dueAt()).toBe(10_000)
    const due = b.take(10_000)
    expect(due.map((e) => `${e.m.kind}:${e.count}`).sort()).toEqual(['flood:1', 'malformed:1'])
    b.written(due, 10_000)
    expect(b.dueAt()).toBeUndefined()
    expect(b.add(fault('p', 'flood'), 12_000)).toBe(false)
    expect(b.dueAt()).toBe(20_000)
  })

  it('hands over held repeats before their hold when the tick writes a change anyway', () => {
    const b = createEvidenceBatch(60_000)
    b.written([{ m: fault('p'), count: 1 }], 0)
    b.add(fault('p', 'malformed', 'two'), 1_000)
    b.add(fault('p', 'malformed', 'three'), 2_000)
    expect(b.take(3_000)).toEqual([])
    const along = b.take(3_000, true)
    expect(along.map((e) => [e.count, e.m.detail])).toEqual([[2, 'three']])
    b.written(along, 3_000)
    expect(b.take(4_000, true)).toEqual([])
    // The hold restarts from the record just written.
    expect(b.add(fault('p'), 62_000)).toBe(false)
    expect(b.add(fault('p'), 63_000)).toBe(true)
  })

  it('treats a repeat after the hold as new again', () => {
    const b = createEvidenceBatch(1_000)
    b.written([{ m: fault('p'), count: 1 }], 0)
    expect(b.add(fault('p'), 1_000)).toBe(true)
  })
})
