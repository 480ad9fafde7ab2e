import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { createFrameDecoder, encodeFrame, encodeLengthPrefix, varintLength } from '../../src/net/frame-codec.ts'

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))

describe('frame codec', () => {
  it('decodes any sequence of frames however the bytes are chunked', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
      (frames, cuts) => {
        const wire = concat(frames.map((f) => encodeFrame(f).subarray()))
        const decoder = createFrameDecoder(300)
        const out: Uint8Array[] = []
        let pos = 0
        let i = 0
        while (pos < wire.length) {
          const n = cuts[i++ % cuts.length] as number
          out.push(...decoder.push(wire.subarray(pos, pos + n)))
          pos += n
        }
        expect(out.map((f) => Buffer.from(f).toString('hex'))).toEqual(frames.map((f) => Buffer.from(f).toString('hex')))
        expect(decoder.bufferedBytes).toBe(0)
      }), { numRuns: 200 })
  })

  it('encodes lengths as unsigned varints', () => {
    expect([...encodeLengthPrefix(0)]).toEqual([0])
    expect([...encodeLengthPrefix(127)]).toEqual([0x7f])
    expect([...encodeLengthPrefix(128)]).toEqual([0x80, 0x01])
    expect([...encodeLengthPrefix(4 * 1024 * 1024)]).toEqual([0x80, 0x80, 0x80, 0x02])
    for (const n of [0, 1, 127, 128, 16_383, 16_384, 4 * 1024 * 1024]) expect(varintLength(n)).toBe(encodeLengthPrefix(n).length)
  })

  it('refuses a frame as soon as its prefix announces more than the limit, before its payload arrives', () => {
    const decoder = createFrameDecoder(1_000)
    expect(decoder.push(encodeFrame(new Uint8Array(1_000)))).toHaveLength(1)
    let err: unknown
    try { decoder.push(encodeLengthPrefix(1_001)) } catch (e) { err = e }
    expect(isFlotillaError(err, 'frame-too-large')).toBe(true)
    // a huge announced length is refused on its first bytes, whatever follows
    const fresh = createFrameDecoder(1_000)
    expect(() => fresh.push(encodeLengthPrefix(2 ** 34).subarray(0, 2))).toThrow(/above the limit/)
    expect(fresh.bufferedBytes).toBeLessThanOrEqual(2)
  })

  it('calls a length prefix longer than five bytes, or not minimally encoded, malformed', () => {
    for (const bytes of [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80], [0x81, 0x00]]) {
      let err: unknown
      try { createFrameDecoder(Number.MAX_SAFE_INTEGER).push(Uint8Array.from(bytes)) } catch (e) { err = e }
      expect(isFlotillaError(err, 'malformed')).toBe(true)
    }
  })

  it('returns copies that later input cannot change', () => {
    const decoder = createFrameDecoder(100)
    const chunk = concat([encodeFrame(Uint8Array.from([1, 2, 3])).subarray()])
    const [frame] = decoder.push(chunk)
    chunk.fill(9)
    expect([...(frame ?? [])]).toEqual([1, 2, 3])
  })
})
