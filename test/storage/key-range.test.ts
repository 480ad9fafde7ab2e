import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { prefixEnd } from '../../src/ports/storage.ts'
import { compareKeys, encodeKey, resolveRange } from '../../src/storage/key-range.ts'

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
/** Well-formed strings (no lone surrogates), astral characters included. */
const wellFormed = fc.string({ unit: 'grapheme', maxLength: 6 })

describe('key order and ranges', () => {
  it('orders keys by UTF-8 bytes, where JavaScript\'s < differs', () => {
    expect('😀' < '\uE000').toBe(true)
    expect(compareKeys('😀', '\uE000')).toBeGreaterThan(0)
    expect(compareKeys('a', 'a')).toBe(0)
    fc.assert(fc.property(wellFormed, wellFormed, (a, b) => {
      expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(utf8Order(a, b)))
    }))
  })

  it('refuses keys with lone surrogates, which have no UTF-8 form', () => {
    for (const bad of ['\uD800', 'a\uDC00', '\uDBFFx']) {
      let caught: unknown
      try { encodeKey(bad) } catch (e) { caught = e }
      expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
    }
    expect(encodeKey('😀')).toEqual(new Uint8Array([0xf0, 0x9f, 0x98, 0x80]))
  })

  it('resolves a prefix to bounds that hold exactly the keys starting with it', () => {
    fc.assert(fc.property(wellFormed, wellFormed, (prefix, key) => {
      const r = resolveRange({ prefix })
      const k = Buffer.from(key, 'utf8')
      const inside = (r.gte === undefined || Buffer.compare(k, r.gte) >= 0) && (r.lt === undefined || Buffer.compare(k, r.lt) < 0)
      expect(inside).toBe(key.startsWith(prefix))
    }))
  })

  it('marks empty ranges and limit 0 as empty', () => {
    expect(resolveRange({ gte: 'b', lt: 'a' }).empty).toBe(true)
    expect(resolveRange({ gte: 'a', lt: 'a' }).empty).toBe(true)
    expect(resolveRange({ limit: 0 }).empty).toBe(true)
    expect(resolveRange({ prefix: 'a/', gte: 'b' }).empty).toBe(true)
    expect(resolveRange({}).empty).toBe(false)
    expect(resolveRange({}).limit).toBe(Infinity)
  })
})

describe('prefixEnd', () => {
  it('bounds every key that starts with the prefix and no other', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), wellFormed, (prefix, key) => {
      const end = prefixEnd(prefix)
      const inside = utf8Order(key, prefix) >= 0 && utf8Order(key, end) < 0
      expect(inside).toBe(key.startsWith(prefix))
    }))
  })

  it('increments the last code point, skipping the surrogate range', () => {
    expect(prefixEnd('a/')).toBe('a0')
    expect(prefixEnd('x\uD7FF')).toBe('x\uE000')
    expect(prefixEnd('x😀')).toBe('x😁')
    expect(prefixEnd('x\u{10FFFF}')).toBe('y')
    expect(utf8Order('a/😀', prefixEnd('a/'))).toBeLessThan(0)
  })
})
