import { randomBytes } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey as libp2pPeerId } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPortableSigner, createSigner, createVerifier, keyPairFromSeed, verifyPortable } from '../../src/identity/keys.ts'
import { peerIdFromPublicKey, publicKeyFromPeerId } from '../../src/identity/peer-id.ts'

const verify = createVerifier()
const verifyWithNode = createVerifier({ backend: 'node' })
const verifyWithSodium = createVerifier({ backend: 'sodium' })
const message = new TextEncoder().encode('flotilla change hash')

describe('site keys', () => {
  it('signatures made with tweetnacl verify with node:crypto (and libsodium, the default), and the other way round', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 256 }), (seed, msg) => {
      const keys = keyPairFromSeed(seed)
      const viaNacl = createPortableSigner(keys).sign('flotilla/change/v1', msg)
      const viaNode = createSigner(keys).sign('flotilla/change/v1', msg)
      expect(verifyWithNode(keys.publicKey, 'flotilla/change/v1', msg, viaNacl)).toBe(true)
      expect(verifyWithSodium(keys.publicKey, 'flotilla/change/v1', msg, viaNacl)).toBe(true)
      expect(verifyPortable(keys.publicKey, 'flotilla/change/v1', msg, viaNode)).toBe(true)
      // ed25519 is deterministic: both libraries produce the same bytes.
      expect(Buffer.from(viaNacl).equals(Buffer.from(viaNode))).toBe(true)
    }), { numRuns: 50 })
  })

  it('rejects a signature made for another context', () => {
    const keys = keyPairFromSeed(randomBytes(32))
    const sig = createSigner(keys).sign('flotilla/heartbeat/v1', message)
    expect(verify(keys.publicKey, 'flotilla/change/v1', message, sig)).toBe(false)
    expect(verifyPortable(keys.publicKey, 'flotilla/change/v1', message, sig)).toBe(false)
  })

  it('rejects any single bit flip in key, message or signature', () => {
    const keys = keyPairFromSeed(randomBytes(32))
    const sig = createSigner(keys).sign('flotilla/change/v1', message)
    fc.assert(fc.property(fc.constantFrom('key', 'msg', 'sig'), fc.nat(), fc.integer({ min: 0, max: 7 }), (part, at, bit) => {
      const k = Uint8Array.from(keys.publicKey); const m = Uint8Array.from(message); const s = Uint8Array.from(sig)
      const target = part === 'key' ? k : part === 'msg' ? m : s
      target[at % target.length]! ^= 1 << bit
      expect(verify(k, 'flotilla/change/v1', m, s)).toBe(false)
    }), { numRuns: 200 })
  })

  it.each(['sodium', 'node'] as const)('verifies against the right key when authors alternate and a caller reuses its key buffer (%s)', (backend) => {
    const fresh = createVerifier({ backend })
    const a = keyPairFromSeed(randomBytes(32))
    const b = keyPairFromSeed(randomBytes(32))
    const sigA = createSigner(a).sign('flotilla/change/v1', message)
    const sigB = createSigner(b).sign('flotilla/change/v1', message)
    const key = Uint8Array.from(a.publicKey)
    expect(fresh(key, 'flotilla/change/v1', message, sigA)).toBe(true)
    // The same buffer now holds another key: the verifier must not answer from the last one.
    key.set(b.publicKey)
    expect(fresh(key, 'flotilla/change/v1', message, sigA)).toBe(false)
    expect(fresh(key, 'flotilla/change/v1', message, sigB)).toBe(true)
    for (let i = 0; i < 4; i++) {
      expect(fresh(a.publicKey, 'flotilla/change/v1', message, sigA)).toBe(true)
      expect(fresh(b.publicKey, 'flotilla/change/v1', message, sigA)).toBe(false)
      expect(fresh(a.publicKey, 'flotilla/change/v1', message, sigB)).toBe(false)
    }
  })

  it('treats malformed keys and signatures as invalid instead of throwing', () => {
    for (const v of [verify, verifyWithNode, verifyWithSodium]) {
      expect(v(new Uint8Array(31), 'flotilla/change/v1', message, new Uint8Array(64))).toBe(false)
      expect(v(new Uint8Array(32), 'flotilla/change/v1', message, new Uint8Array(10))).toBe(false)
      expect(v(new Uint8Array(33), 'flotilla/change/v1', message, new Uint8Array(65))).toBe(false)
    }
    expect(verifyPortable(new Uint8Array(3), 'flotilla/change/v1', message, new Uint8Array(64))).toBe(false)
  })
})

describe('peer ids', () => {
  it('match the peer id libp2p derives from the same ed25519 key', () => {
    for (let i = 0; i < 20; i++) {
      const keys = keyPairFromSeed(randomBytes(32))
      const ours = peerIdFromPublicKey(keys.publicKey)
      expect(ours).toBe(libp2pPeerId(publicKeyFromRaw(keys.publicKey)).toString())
      expect(ours.startsWith('12D3KooW')).toBe(true)
      expect(Buffer.from(publicKeyFromPeerId(ours)!).equals(Buffer.from(keys.publicKey))).toBe(true)
    }
  })

  it('returns undefined for a peer id that is not an ed25519 key', () => {
    expect(publicKeyFromPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')).toBeUndefined()
    expect(publicKeyFromPeerId('not base58!')).toBeUndefined()
  })
})
