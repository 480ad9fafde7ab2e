import { createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import { hasStrictEncoding, weakPublicKeyReason } from '../../src/identity/ed25519-strict.ts'
import { createSigner, keyPairFromSeed, signedBytes } from '../../src/identity/keys.ts'
import { createVerifier, type VerifierBackend } from '../../src/identity/verifier.ts'
import {
  BASE, D, L, P, add, decode, encode, encodeY, inv, isIdentity, littleEndian, mod, multiply, pointFromY,
  secretScalar, signWith, sqrt, toLittleEndian
} from '../support/ed25519-math.ts'

const BACKENDS: VerifierBackend[] = ['sodium', 'node', 'tweetnacl']
const strict = Object.fromEntries(BACKENDS.map((b) => [b, createVerifier({ backend: b })])) as Record<VerifierBackend, ReturnType<typeof createVerifier>>
const CONTEXT = 'flotilla/change/v1' as const
const message = new TextEncoder().encode('a change hash')

/** y of the points of order 8, from the curve: doubling lands on y = 0 when d·y⁴ + 2y² − 1 = 0. */
function orderEightY (): bigint {
  const y2 = mod((-1n - sqrt(1n + D)!) * inv(D))
  return sqrt(y2)!
}

/** Every encoding of a small-order point: y in {1, −1, 0, ±y8} and both sign bits. */
function smallOrderEncodings (): Uint8Array[] {
  const y8 = orderEightY()
  return [1n, P - 1n, 0n, y8, P - y8].flatMap((y) => [encodeY(y, false), encodeY(y, true)])
}

const SPKI_ED25519_PREFIX = Buffer.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
const sodium = createRequire(import.meta.url)('sodium-native') as { crypto_sign_verify_detached (s: Uint8Array, m: Uint8Array, k: Uint8Array): boolean }

/** The libraries themselves, asked without the rule: what each would say on its own. */
function verifyBypassingRule (backend: VerifierBackend, publicKey: Uint8Array, signature: Uint8Array, msg = message): boolean {
  const bytes = signedBytes(CONTEXT, msg)
  switch (backend) {
    case 'sodium': return sodium.crypto_sign_verify_detached(signature, bytes, publicKey)
    case 'tweetnacl': return nacl.sign.detached.verify(bytes, signature, publicKey)
    case 'node': {
      const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' })
      return nodeVerify(null, bytes, key, signature)
    }
  }
}

describe('the strict ed25519 acceptance rule', () => {
  it('blocks exactly the points of small order: each has order dividing 8, and the table matches the curve', () => {
    const encodings = smallOrderEncodings()
    for (const e of encodings) {
      const point = decode(e)
      if (point === undefined) continue // x = 0 with the sign bit set has no point; refused all the same
      expect(isIdentity(multiply(point, 8n))).toBe(true)
      expect(weakPublicKeyReason(e)).toBe('small-order')
    }
    // A point of order 8 really is one: four doublings are not enough.
    const t8 = pointFromY(orderEightY(), false)!
    expect(isIdentity(multiply(t8, 4n))).toBe(false)
    // Honest keys are points of the prime-order subgroup: never flagged.
    for (let i = 0; i < 50; i++) expect(weakPublicKeyReason(keyPairFromSeed(randomBytes(32)).publicKey)).toBeUndefined()
  })

  it('refuses non-canonical encodings: y of p or more, in keys and in R', () => {
    const keys = keyPairFromSeed(randomBytes(32))
    const signature = createSigner(keys).sign(CONTEXT, message)
    for (const y of [P, P + 1n, P + 2n, (1n << 255n) - 1n]) {
      expect(weakPublicKeyReason(encodeY(y))).toBe('non-canonical')
      const sig = Uint8Array.from(signature); sig.set(encodeY(y), 0)
      expect(hasStrictEncoding(keys.publicKey, sig)).toBe(false)
    }
    expect(weakPublicKeyReason(encodeY(P - 20n))).not.toBe('non-canonical')
  })

  it('refuses a scalar S of L or more, and accepts S = L − 1 as an encoding', () => {
    const keys = keyPairFromSeed(randomBytes(32))
    const sig = Uint8Array.from(createSigner(keys).sign(CONTEXT, message))
    const S = littleEndian(sig.subarray(32))
    for (const bad of [L, S + L, (1n << 256n) - 1n, 1n << 253n]) {
      sig.set(toLittleEndian(bad), 32)
      expect(hasStrictEncoding(keys.publicKey, sig)).toBe(false)
    }
    sig.set(toLittleEndian(L - 1n), 32)
    expect(hasStrictEncoding(keys.publicKey, sig)).toBe(true)
    sig.set(toLittleEndian(1n << 252n), 32)
    expect(hasStrictEncoding(keys.publicKey, sig)).toBe(true)
  })
})

describe('verifiers under the strict rule', () => {
  it('without the rule, node:crypto and tweetnacl accept a small-order key "signing" any message, and libsodium does not', () => {
    // The identity as key and as R, S = 0: [0]B = R + [k]A holds for every message.
    const identity = encodeY(1n)
    const forged = new Uint8Array(64); forged.set(identity, 0)
    expect(hasStrictEncoding(identity, forged)).toBe(false)
    // The rule is what refuses it: the same backends, asked directly, disagree.
    expect(verifyBypassingRule('node', identity, forged)).toBe(true)
    expect(verifyBypassingRule('tweetnacl', identity, forged)).toBe(true)
    expect(verifyBypassingRule('sodium', identity, forged)).toBe(false)
    for (const b of BACKENDS) expect(strict[b](identity, CONTEXT, message, forged)).toBe(false)
  })

  it('without the rule, tweetnacl accepts S + L and node:crypto a non-canonical key; with it nobody does', () => {
    const keys = keyPairFromSeed(randomBytes(32))
    const sig = Uint8Array.from(createSigner(keys).sign(CONTEXT, message))
    const sPlusL = Uint8Array.from(sig); sPlusL.set(toLittleEndian(littleEndian(sig.subarray(32)) + L), 32)
    expect(verifyBypassingRule('tweetnacl', keys.publicKey, sPlusL)).toBe(true)
    expect(verifyBypassingRule('sodium', keys.publicKey, sPlusL)).toBe(false)
    const nonCanonicalIdentity = encodeY(P + 1n)
    const forged = new Uint8Array(64); forged.set(encodeY(1n), 0)
    expect(verifyBypassingRule('node', nonCanonicalIdentity, forged)).toBe(true)
    expect(verifyBypassingRule('sodium', nonCanonicalIdentity, forged)).toBe(false)
    for (const b of BACKENDS) {
      expect(strict[b](keys.publicKey, CONTEXT, message, sPlusL)).toBe(false)
      expect(strict[b](nonCanonicalIdentity, CONTEXT, message, forged)).toBe(false)
      expect(strict[b](keys.publicKey, CONTEXT, message, sig)).toBe(true)
    }
  })

  it('agree on keys with a torsion part: valid exactly when the challenge kills it, on every backend', () => {
    // A key A' = a·B + T8 passes the rule (canonical, not of small order); the cofactorless
    // equation holds for S = r + k·a only when k·T8 = 0, i.e. when 8 divides k.
    const seed = randomBytes(32)
    const a = secretScalar(seed)
    const t8 = pointFromY(orderEightY(), false)!
    const mixedKey = encode(add(multiply(BASE, a), t8))
    expect(weakPublicKeyReason(mixedKey)).toBeUndefined()
    let valid = 0; let invalid = 0
    for (let i = 0; valid < 2 || invalid < 2; i++) {
      expect(i).toBeLessThan(200)
      const msg = new TextEncoder().encode(`message ${i}`)
      const { signature, k } = signWith(a, mod(littleEndian(randomBytes(64)), L), mixedKey, signedBytes(CONTEXT, msg))
      const expected = k % 8n === 0n
      const got = BACKENDS.map((b) => strict[b](mixedKey, CONTEXT, msg, signature))
      expect(got).toEqual([expected, expected, expected])
      if (expected) valid++; else invalid++
    }
  })

  it('agree on every mutation of valid signatures: bit flips, small-order R, S + L, foreign keys', () => {
    const small = smallOrderEncodings()
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom('none', 'flip-key', 'flip-sig', 'small-R', 'small-key', 'S+L', 'S-top'), fc.nat(), fc.nat(7),
      (seed, msg, mutation, at, bit) => {
        const keys = keyPairFromSeed(seed)
        const key = Uint8Array.from(keys.publicKey)
        const sig = Uint8Array.from(createSigner(keys).sign(CONTEXT, msg))
        if (mutation === 'flip-key') key[at % 32]! ^= 1 << bit
        if (mutation === 'flip-sig') sig[at % 64]! ^= 1 << bit
        if (mutation === 'small-R') sig.set(small[at % small.length]!, 0)
        if (mutation === 'small-key') key.set(small[at % small.length]!)
        if (mutation === 'S+L') sig.set(toLittleEndian(littleEndian(sig.subarray(32)) + L), 32)
        if (mutation === 'S-top') sig[63]! |= 0x10 << (bit % 4)
        const got = BACKENDS.map((b) => strict[b](key, CONTEXT, msg, sig))
        expect(new Set(got).size).toBe(1)
        expect(got[0]).toBe(mutation === 'none')
      }), { numRuns: 300 })
  })

  it('accept every honest signature, from node:crypto and tweetnacl signers alike', () => {
    for (let i = 0; i < 30; i++) {
      const keys = keyPairFromSeed(randomBytes(32))
      const sig = createSigner(keys).sign(CONTEXT, message)
      for (const b of BACKENDS) expect(strict[b](keys.publicKey, CONTEXT, message, sig)).toBe(true)
    }
  })
})

