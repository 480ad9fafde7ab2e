import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import { createVerifier } from '../../../src/identity/keys.ts'
import { decodeSignedChange, encodeSignedChange, signChange, type SignedChange } from '../../../src/store/log/envelope.ts'
import { verifySignedChange } from '../../../src/store/log/verify.ts'
import { siteDocId } from '../../../src/store/document-store.ts'
import { rosterWritePolicy } from '../../../src/store/roster-write-policy.ts'
import { openTestStore, rosterOf, testSite } from '../../support/store-fixtures.ts'

const eu = testSite('eu-west')
const ap = testSite('ap-south')
const outsider = testSite('outsider')
const members = [eu, ap]
const policy = rosterWritePolicy(() => rosterOf(members))
const verify = createVerifier()
const limits = { maxChangeBytes: 64 * 1024, maxChangeOps: 1000 }

function changeBy (actor: string, edit: (d: Record<string, unknown>) => void): Uint8Array {
  const doc = A.change(A.init<Record<string, unknown>>({ actor }), { time: 0 }, edit)
  return A.getLastLocalChange(doc)!
}

const euActor = eu.signer.publicKeyHex + '0102030405060708'
const validChange = changeBy(euActor, (d) => { d['workload'] = { replicas: 3 } })
const valid = signChange(eu.signer, siteDocId(eu.id), validChange)

function codeOf (env: SignedChange): string {
  try {
    verifySignedChange(env, verify, policy, limits)
    return 'accepted'
  } catch (e) {
    if (isFlotillaError(e)) return e.code
    throw e
  }
}

type Mutation =
  | { kind: 'flip-signature', at: number, bit: number }
  | { kind: 'flip-change', at: number, bit: number }
  | { kind: 'flip-key', at: number, bit: number }
  | { kind: 'other-site-document' } | { kind: 'unknown-document', id: string }
  | { kind: 'non-member-signer' } | { kind: 'truncated-change', keep: number }
  | { kind: 'garbage-change', bytes: Uint8Array } | { kind: 'oversized' } | { kind: 'foreign-actor' }
  | { kind: 'too-many-ops' }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip-signature' as const), at: fc.nat(63), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('flip-change' as const), at: fc.nat(validChange.length - 1), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('flip-key' as const), at: fc.nat(31), bit: fc.nat(7) }),
  fc.constant({ kind: 'other-site-document' as const }),
  fc.record({ kind: fc.constant('unknown-document' as const), id: fc.string({ maxLength: 20 }).filter((s) => s !== 'federation' && !members.some((m) => `site:${m.id}` === s)) }),
  fc.constant({ kind: 'non-member-signer' as const }),
  fc.record({ kind: fc.constant('truncated-change' as const), keep: fc.nat(validChange.length - 1) }),
  fc.record({ kind: fc.constant('garbage-change' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }) }),
  fc.constant({ kind: 'oversized' as const }),
  fc.constant({ kind: 'foreign-actor' as const }),
  fc.constant({ kind: 'too-many-ops' as const })
)

/** The mutated envelope and the code it must be refused with. */
function mutate (m: Mutation): { env: SignedChange, code: string } {
  const copy = (): SignedChange => ({ docId: valid.docId, change: Uint8Array.from(valid.change), signer: Uint8Array.from(valid.signer), signature: Uint8Array.from(valid.signature) })
  const env = copy()
  switch (m.kind) {
    case 'flip-signature': env.signature[m.at]! ^= 1 << m.bit; return { env, code: 'bad-signature' }
    case 'flip-change': env.change[m.at]! ^= 1 << m.bit; return { env, code: 'bad-signature' }
    case 'flip-key': env.signer[m.at]! ^= 1 << m.bit; return { env, code: 'unauthorized-writer' }
    case 'other-site-document': env.docId = siteDocId(ap.id); return { env, code: 'unauthorized-writer' }
    case 'unknown-document': env.docId = m.id; return { env, code: 'wrong-document' }
    case 'non-member-signer': return { env: signChange(outsider.signer, siteDocId(eu.id), validChange), code: 'unauthorized-writer' }
    case 'truncated-change': return { env: signChange(eu.signer, siteDocId(eu.id), validChange.subarray(0, m.keep)), code: 'malformed' }
    case 'garbage-change': return { env: signChange(eu.signer, siteDocId(eu.id), m.bytes), code: 'malformed' }
    case 'oversized': return { env: signChange(eu.signer, siteDocId(eu.id), changeBy(euActor, (d) => { d['blob'] = new A.ImmutableString('x'.repeat(70 * 1024)) })), code: 'oversized' }
    case 'foreign-actor': return { env: signChange(eu.signer, siteDocId(eu.id), changeBy(ap.signer.publicKeyHex, (d) => { d['x'] = 1 })), code: 'actor-mismatch' }
    case 'too-many-ops': return { env: signChange(eu.signer, siteDocId(eu.id), changeBy(euActor, (d) => { d['list'] = Array.from({ length: 2000 }, (_, i) => i) })), code: 'oversized' }
  }
}

describe('verifySignedChange', () => {
  it('accepts a valid envelope, also after an encode/decode round trip', () => {
    expect(codeOf(valid)).toBe('accepted')
    expect(codeOf(decodeSignedChange(encodeSignedChange(valid)))).toBe('accepted')
  })

  it('rejects every mutation of a valid envelope with the right code', () => {
    fc.assert(fc.property(mutation, (m) => {
      const { env, code } = mutate(m)
      expect(codeOf(env)).toBe(code)
    }), { numRuns: 400 })
  })

  it('leaves the store untouched when a mutated envelope is ingested', async () => {
    const store = await openTestStore(ap, members, undefined, limits)
    await store.ingest([valid])
    const heads = store.heads(siteDocId(eu.id))
    const before = A.toJS(store.document(siteDocId(eu.id))!)
    await fc.assert(fc.asyncProperty(mutation, async (m) => {
      const { env, code } = mutate(m)
      const report = await store.ingest([env])
      // A bit flip may leave the bytes identical to a change already held: that is a harmless duplicate.
      if (report.duplicates === 1) return
      expect(report.rejected.map((r) => r.code)).toEqual([code])
      expect(report.accepted).toBe(0)
      expect(store.heads(siteDocId(eu.id))).toEqual(heads)
      expect(A.toJS(store.document(siteDocId(eu.id))!)).toEqual(before)
      expect(store.documentIds()).toEqual([siteDocId(eu.id)])
    }), { numRuns: 200 })
  })

  it('refuses undecodable envelope bytes as malformed and unknown versions as unsupported', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try { decodeSignedChange(bytes) } catch (e) {
        expect(isFlotillaError(e, 'malformed') || isFlotillaError(e, 'unsupported-version')).toBe(true)
      }
    }))
    const wire = encodeSignedChange(valid)
    wire[0] = 9
    expect(() => decodeSignedChange(wire)).toThrow(/version 9 is not supported/)
  })
})
