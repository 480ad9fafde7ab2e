import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createEventQueue, type QueuedEvent } from '../../src/platform/event-queue.ts'

describe('event queue', () => {
  it('pops by time, and by insertion order at equal times, skipping cancelled events (any schedule)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ time: fc.integer({ min: 0, max: 20 }), cancel: fc.boolean() }), { maxLength: 300 }),
      (specs) => {
        const q = createEventQueue()
        const events: QueuedEvent[] = specs.map((s, i) => q.push(s.time, () => i))
        specs.forEach((s, i) => { if (s.cancel) q.cancel(events[i] as QueuedEvent) })
        const expected = specs.map((s, i) => ({ ...s, i })).filter((s) => !s.cancel)
          .sort((a, b) => a.time - b.time || a.i - b.i).map((s) => s.i)
        expect(q.size()).toBe(expected.length)
        const popped: number[] = []
        for (let e = q.pop(); e !== undefined; e = q.pop()) popped.push(e.seq)
        expect(popped).toEqual(expected)
        expect(q.size()).toBe(0)
      }))
  })

  it('keeps the order across pushes interleaved with pops', () => {
    const q = createEventQueue()
    const out: string[] = []
    q.push(5, () => { out.push('a5') })
    q.push(1, () => { out.push('b1') })
    q.pop()?.run()
    q.push(1, () => { out.push('c1') })
    q.push(5, () => { out.push('d5') })
    for (let e = q.pop(); e !== undefined; e = q.pop()) e.run()
    expect(out).toEqual(['b1', 'c1', 'a5', 'd5'])
  })

  it('cannot cancel an event twice or after it was taken', () => {
    const q = createEventQueue()
    const a = q.push(1, () => {})
    const b = q.push(2, () => {})
    expect(q.cancel(a)).toBe(true)
    expect(q.cancel(a)).toBe(false)
    expect(q.pop()?.seq).toBe(b.seq)
    expect(q.cancel(b)).toBe(false)
    expect(q.size()).toBe(0)
    expect(q.peek()).toBeUndefined()
  })

  it('does not grow without bound when almost every event is cancelled (timeouts)', () => {
    const q = createEventQueue()
    const keep = q.push(1e9, () => {})
    for (let i = 0; i < 50_000; i++) q.cancel(q.push(i, () => {}))
    expect(q.size()).toBe(1)
    expect(q.pop()?.seq).toBe(keep.seq)
  })

  it('refuses a non-finite time', () => {
    const q = createEventQueue()
    expect(() => q.push(Number.NaN, () => {})).toThrow(RangeError)
  })
})
