/**
 * The lenient canonical JSON used to hash Kubernetes objects: key order never matters,
 * `undefined` members vanish, and values a client library builds (dates) are written as
 * JSON.stringify writes them.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../src/k8s/json.ts'

describe('canonicalJson (k8s)', () => {
  it('writes equal values identically whatever their key order, and parses back to them', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
      const shuffled = JSON.parse(JSON.stringify(value, (_k, v: unknown) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)) as unknown
      expect(canonicalJson(shuffled)).toBe(canonicalJson(value))
      expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)))
    }))
  })

  it('drops undefined members and writes a Date as its ISO string', () => {
    const at = new Date(Date.UTC(2026, 10, 26, 12, 0, 0))
    expect(canonicalJson({ b: 1, a: undefined, c: { t: at } })).toBe('{"b":1,"c":{"t":"2026-11-26T12:00:00.000Z"}}')
  })
})
