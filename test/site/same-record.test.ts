import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sameRecord } from '../../src/site/same-record.ts'
import { canonicalJson } from '../../src/store/docs/canonical-json.ts'

/** JSON values whose objects may carry `undefined` members, as records built with optional fields do. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(fc.constantFrom(null, true, false, 0, 1, 'a', 'b', ''), fc.integer({ min: -3, max: 3 })),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(tie('node'), fc.constant(undefined)), { maxKeys: 3 }))
})).node

describe('sameRecord', () => {
  it('holds exactly when the canonical JSON of both records is equal', () => {
    fc.assert(fc.property(value, value, (a, b) => {
      expect(sameRecord(a, b)).toBe(canonicalJson(a) === canonicalJson(b))
      expect(sameRecord(a, structuredClone(a))).toBe(true)
    }), { numRuns: 2000 })
  })

  it('ignores key order and undefined members, and tells arrays from objects', () => {
    expect(sameRecord({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true)
    expect(sameRecord({ a: 1, gone: undefined }, { a: 1 })).toBe(true)
    expect(sameRecord({ a: 1 }, { a: 1, b: null })).toBe(false)
    expect(sameRecord([], {})).toBe(false)
    expect(sameRecord(undefined, { a: 1 })).toBe(false)
  })
})
