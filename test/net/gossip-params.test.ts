import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fastMessageId, gossipsubOptions, defaultMeshParams } from '../../src/net/gossip-params.ts'

const message = fc.record({
  from: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  seqno: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  topic: fc.constant('/flotilla/federation/1'),
  data: fc.uint8Array({ maxLength: 300 }),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  key: fc.uint8Array({ maxLength: 36 })
})

describe('gossip parameters', () => {
  it('gives exact copies of a message one fast id and any altered copy another', () => {
    fc.assert(fc.property(message, fc.nat(), fc.constantFrom('from', 'seqno', 'data', 'signature', 'key') as fc.Arbitrary<'from' | 'seqno' | 'data' | 'signature' | 'key'>, (m, at, field) => {
      const copy = { ...m, [field]: Uint8Array.from(m[field]) }
      expect(fastMessageId(copy)).toBe(fastMessageId(m))
      const altered = Uint8Array.from(m[field])
      if (altered.length === 0) return
      altered[at % altered.length]! ^= 0x01
      expect(fastMessageId({ ...m, [field]: altered })).not.toBe(fastMessageId(m))
    }), { numRuns: 200 })
  })

  it('does not let bytes move between fields unnoticed', () => {
    const base = { topic: 't', from: Uint8Array.of(1, 2), seqno: Uint8Array.of(3), data: Uint8Array.of(4) }
    const shifted = { topic: 't', from: Uint8Array.of(1), seqno: Uint8Array.of(2, 3), data: Uint8Array.of(4) }
    expect(fastMessageId(base)).not.toBe(fastMessageId(shifted))
  })

  it('de-duplicates before signature checks and keeps a small mesh', () => {
    const o = gossipsubOptions('/t', 65536, defaultMeshParams)
    expect(o.fastMsgIdFn).toBe(fastMessageId)
    expect(o.globalSignaturePolicy).toBe('StrictSign')
    expect(o.D).toBeLessThanOrEqual(4)
  })

  it('leaves relaying to the network (deferred relays) and sends lazy gossip to one peer outside the mesh by default', () => {
    const o = gossipsubOptions('/t', 65536, defaultMeshParams)
    expect(o.asyncValidation).toBe(true)
    expect(o.Dlazy).toBe(1)
    expect(o.floodPublish).toBe(true)
    expect(gossipsubOptions('/t', 65536, { ...defaultMeshParams, Dlazy: 3 }).Dlazy).toBe(3)
  })
})
