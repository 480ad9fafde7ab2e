/**
 * Replication frames: what a receiver can tell from a frame's header alone.
 */
import { describe, expect, it } from 'vitest'
import { buildBloom } from '../../src/replication/bloom.ts'
import { encodeDirect, peekPushCount } from '../../src/replication/messages.ts'
import { signChange, type SignedChange } from '../../src/store/log/envelope.ts'
import { createSigner } from '../../src/identity/keys.ts'
import { testSite } from '../support/store-fixtures.ts'

const signer = createSigner(testSite('eu').keys)
const changes: SignedChange[] = [1, 2, 3].map((i) => signChange(signer, 'site:eu', new Uint8Array(40).fill(i)))
const bloom = buildBloom([], 0, 1)

describe('replication frames', () => {
  it('reads the number of changes of a push from its header, and nothing from any other frame', () => {
    const push = encodeDirect({ type: 'changes', session: 0, docId: 'site:eu', changes, more: false, toResponder: false })
    expect(peekPushCount(push)).toBe(3)
    // The header is enough: a push cut short after it still says how many it claims.
    expect(peekPushCount(push.subarray(0, 20))).toBe(3)
    expect(peekPushCount(encodeDirect({ type: 'changes', session: 4, docId: 'site:eu', changes, more: false, toResponder: true }))).toBeUndefined()
    expect(peekPushCount(encodeDirect({ type: 'sync-reply', session: 4, docId: 'site:eu', heads: [], sinceKnown: false, bloom, changes, more: false }))).toBeUndefined()
    expect(peekPushCount(encodeDirect({ type: 'digest', docs: [] }))).toBeUndefined()
    for (const bad of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array([99, 3, 0]), push.subarray(0, 4)]) expect(peekPushCount(bad)).toBeUndefined()
  })
})
