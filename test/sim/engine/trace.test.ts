import { describe, expect, it } from 'vitest'
import { canonicalJson, createTrace } from '../../../sim/engine/trace.ts'

describe('trace', () => {
  it('gives the same hash for the same records, whatever the key order of their fields', () => {
    const a = createTrace()
    const b = createTrace()
    a.record(1, 'send', { from: 's1', to: 's2', bytes: new Uint8Array([0, 255]) })
    b.record(1, 'send', { to: 's2', bytes: new Uint8Array([0, 255]), from: 's1' })
    expect(a.hash()).toBe(b.hash())
    expect(a.hash()).toMatch(/^[0-9a-f]{64}$/)
  })

  it('changes the hash when a record, its order, its time or its kind differs', () => {
    const hashOf = (records: Array<[number, string, Record<string, number>]>): string => {
      const t = createTrace()
      for (const [time, kind, fields] of records) t.record(time, kind, fields)
      return t.hash()
    }
    const base = hashOf([[1, 'a', { x: 1 }], [2, 'b', { x: 2 }]])
    expect(hashOf([[2, 'b', { x: 2 }], [1, 'a', { x: 1 }]])).not.toBe(base)
    expect(hashOf([[1, 'a', { x: 1 }], [2, 'b', { x: 3 }]])).not.toBe(base)
    expect(hashOf([[1, 'a', { x: 1 }], [3, 'b', { x: 2 }]])).not.toBe(base)
    expect(hashOf([[1, 'a', { x: 1 }], [2, 'c', { x: 2 }]])).not.toBe(base)
    expect(hashOf([[1, 'a', { x: 1 }]])).not.toBe(base)
  })

  it('serialises values canonically and keeps tagged values apart from look-alike strings', () => {
    expect(canonicalJson({ b: 1, a: [true, null, undefined], c: undefined })).toBe('{"a":[true,null,null],"b":1}')
    expect(canonicalJson(new Uint8Array([1, 2]))).not.toBe(canonicalJson('0102'))
    expect(canonicalJson(10n)).not.toBe(canonicalJson('10'))
    expect(canonicalJson(Number.NaN)).not.toBe(canonicalJson(null))
    expect(canonicalJson(Number.POSITIVE_INFINITY)).not.toBe(canonicalJson(Number.NEGATIVE_INFINITY))
  })

  it('is not changed by mutating fields after recording', () => {
    const t = createTrace()
    const fields = { n: 1 }
    t.record(0, 'x', fields)
    const h = t.hash()
    fields.n = 2
    expect(t.hash()).toBe(h)
    expect(t.recent()[0]?.fields).toBe('{"n":1}')
  })

  it('keeps only the newest records for reports, while the hash covers all', () => {
    const small = createTrace({ keep: 3 })
    const none = createTrace({ keep: 0 })
    for (let i = 0; i < 10; i++) {
      small.record(i, 'tick', { i })
      none.record(i, 'tick', { i })
    }
    expect(small.count()).toBe(10)
    expect(small.recent().map((r) => r.timeMs)).toEqual([7, 8, 9])
    expect(none.recent()).toEqual([])
    expect(none.hash()).toBe(small.hash())
  })

  it('hashes an engine event record exactly as the general record of the same values', () => {
    const fast = createTrace()
    const general = createTrace()
    for (let i = 0; i < 5_000; i++) {
      const time = i * 0.37 + 1e-9 * i
      fast.recordEvent(time, i)
      general.record(time, 'event', { seq: i })
      if (i % 1_000 === 0) {
        fast.record(time, 'state', { i })
        general.record(time, 'state', { i })
        // reading the hash mid-way changes nothing that follows
        expect(fast.hash()).toBe(general.hash())
      }
    }
    expect(fast.hash()).toBe(general.hash())
    expect(fast.count()).toBe(general.count())
    expect(fast.recent().slice(-3)).toEqual(general.recent().slice(-3))
    const other = createTrace()
    other.recordEvent(1, 2)
    const moved = createTrace()
    moved.recordEvent(1, 3)
    expect(other.hash()).not.toBe(moved.hash())
  })
})
