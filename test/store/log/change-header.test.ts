import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readChangeHeader, readChangeHeaderFast } from '../../../src/store/log/change-header.ts'
import { isFlotillaError } from '../../../src/model/errors.ts'

type Edit = { kind: 'set', key: string, value: number | string | boolean } | { kind: 'del', key: string }
  | { kind: 'list', key: string, items: number[] } | { kind: 'text', key: string, text: string } | { kind: 'big', key: string, size: number }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.string({ minLength: 1, maxLength: 8 }), value: fc.oneof(fc.integer(), fc.string(), fc.boolean()) }),
  fc.record({ kind: fc.constant('del' as const), key: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('list' as const), key: fc.string({ minLength: 1, maxLength: 8 }), items: fc.array(fc.integer(), { maxLength: 300 }) }),
  fc.record({ kind: fc.constant('text' as const), key: fc.string({ minLength: 1, maxLength: 8 }), text: fc.string({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('big' as const), key: fc.string({ minLength: 1, maxLength: 8 }), size: fc.integer({ min: 1, max: 20_000 }) })
)

function applyEdit (d: Record<string, unknown>, e: Edit): void {
  switch (e.kind) {
    case 'set': d[e.key] = e.value; break
    case 'del': delete d[e.key]; break
    case 'list': d[e.key] = e.items; break
    case 'text': d[e.key] = e.text; break
    case 'big': d[e.key] = new A.ImmutableString('x'.repeat(e.size)); break
  }
}

describe('change header reader', () => {
  it('agrees with Automerge decodeChange on hash, actor, seq, deps and op count', () => {
    fc.assert(fc.property(fc.array(fc.array(edit, { maxLength: 6 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 2 ** 40 }), (batches, time) => {
      let doc = A.init<Record<string, unknown>>({ actor: 'ab'.repeat(16) })
      for (const batch of batches) {
        const next = A.change(doc, { time, message: 'm' }, (d) => { for (const e of batch) applyEdit(d, e) })
        const change = A.getLastLocalChange(next)
        doc = next
        if (change === undefined) continue
        const decoded = A.decodeChange(change)
        expect(readChangeHeader(change)).toEqual({
          hash: decoded.hash, actor: decoded.actor, seq: decoded.seq, startOp: decoded.startOp,
          time: decoded.time, deps: [...decoded.deps].sort(), ops: decoded.ops.length
        })
      }
    }), { numRuns: 150 })
  })

  it('takes the fast path for the changes a site writes', () => {
    let doc = A.init<Record<string, unknown>>({ actor: 'ef'.repeat(40) })
    doc = A.change(doc, { time: 5 }, (d) => { d['buckets'] = { a1: { w: { replicas: 3, manifest: new A.ImmutableString('{"kind":"Deployment"}') } } } })
    doc = A.change(doc, { time: 6 }, (d) => { (d['buckets'] as Record<string, Record<string, { replicas: number }>>)['a1']!['w']!.replicas = 4 })
    for (const change of A.getAllChanges(doc)) expect(readChangeHeaderFast(change)).toEqual(readChangeHeader(change))
    expect(readChangeHeaderFast(A.getLastLocalChange(doc)!)?.ops).toBe(1)
  })

  it('refuses bytes that are not a change with code malformed', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        readChangeHeader(bytes)
      } catch (e) {
        expect(isFlotillaError(e, 'malformed')).toBe(true)
      }
    }), { numRuns: 300 })
  })

  it('never reports a hash for bit-flipped bytes that differs from what Automerge would compute', () => {
    let doc = A.init<Record<string, unknown>>({ actor: 'cd'.repeat(16) })
    doc = A.change(doc, { time: 0 }, (d) => { d['a'] = 1; d['b'] = [1, 2, 3] })
    const change = A.getLastLocalChange(doc)!
    fc.assert(fc.property(fc.nat(change.length - 1), fc.integer({ min: 0, max: 7 }), (at, bit) => {
      const mutated = Uint8Array.from(change)
      mutated[at]! ^= 1 << bit
      let ours: string | undefined
      try { ours = readChangeHeader(mutated).hash } catch { ours = undefined }
      let theirs: string | undefined
      try { theirs = A.decodeChange(mutated).hash } catch { theirs = undefined }
      if (ours !== undefined && theirs !== undefined) expect(ours).toBe(theirs)
    }), { numRuns: 300 })
  })
})
