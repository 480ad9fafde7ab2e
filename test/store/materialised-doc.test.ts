import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMaterialisedDoc, MAX_OPS_PER_APPLY, type ChangeToApply } from '../../src/store/materialised-doc.ts'

type Doc = Record<string, unknown>
type Edit = { kind: 'set', key: string, value: number | string } | { kind: 'del', key: string }
  | { kind: 'nested', key: string, inner: string, value: number } | { kind: 'list', key: string, items: number[] }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.oneof(fc.integer(), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ kind: fc.constant('nested' as const), key: fc.constantFrom('m', 'n'), inner: fc.constantFrom('x', 'y'), value: fc.integer() }),
  // Lists long enough that a batch of changes exceeds MAX_OPS_PER_APPLY and is split.
  fc.record({ kind: fc.constant('list' as const), key: fc.constantFrom('l', 'k'), items: fc.array(fc.integer(), { maxLength: 400 }) })
)

function applyEdit (d: Doc, e: Edit): void {
  switch (e.kind) {
    case 'set': d[e.key] = e.value; break
    case 'del': delete d[e.key]; break
    case 'nested': {
      const m = (d[e.key] ?? (d[e.key] = {})) as Doc
      m[e.inner] = e.value
      break
    }
    case 'list': d[e.key] = e.items; break
  }
}

/** Changes written by two concurrent authors, as bytes with their op counts. */
function history (edits: Edit[][], split: number): ChangeToApply[] {
  let left = A.init<Doc>({ actor: 'aa'.repeat(8) })
  let right = A.init<Doc>({ actor: 'bb'.repeat(8) })
  const out: ChangeToApply[] = []
  for (const [i, batch] of edits.entries()) {
    const onLeft = i % split !== 0
    const before = onLeft ? left : right
    const after = A.change(before, { time: 0 }, (d) => { for (const e of batch) applyEdit(d, e) })
    const change = A.getLastLocalChange(after)
    if (onLeft) left = after
    else right = after
    if (change === undefined || after === before) continue
    out.push({ change, ops: A.decodeChange(change).ops.length })
    // Now and then each author learns the other's changes, so later changes depend on both.
    if (i % 3 === 2) {
      const [l] = A.applyChanges(left, A.getChanges(A.init(), right))
      const [r] = A.applyChanges(right, A.getChanges(A.init(), l))
      left = l
      right = r
    }
  }
  return out
}

describe('materialised document', () => {
  it('gives the value and heads A.applyChanges gives, for any batching of changes and any reads in between', () => {
    fc.assert(fc.property(
      fc.array(fc.array(edit, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 14 }),
      fc.integer({ min: 2, max: 4 }),
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
      (edits, split, sizes, reads) => {
        const changes = history(edits, split)
        const [expected] = A.applyChanges(A.init<unknown>({ actor: 'cc'.repeat(8) }), changes.map((c) => c.change))
        const doc = createMaterialisedDoc(A.init<unknown>({ actor: 'cc'.repeat(8) }))
        const earlier: Array<{ value: A.Doc<unknown>, heads: string[], json: unknown }> = []
        let at = 0
        for (let b = 0; at < changes.length; b++) {
          doc.apply(changes.slice(at, at + sizes[b % sizes.length]!))
          at += sizes[b % sizes.length]!
          expect(doc.heads()).toEqual(A.getHeads(A.applyChanges(A.init<unknown>(), changes.slice(0, at).map((c) => c.change))[0]))
          if (reads[b % reads.length]!) {
            const value = doc.value()
            expect(doc.lagging()).toBe(0)
            earlier.push({ value, heads: A.getHeads(value), json: A.toJS(value) })
          }
        }
        const value = doc.value()
        expect(A.toJS(value)).toEqual(A.toJS(expected))
        expect(A.getHeads(value)).toEqual(A.getHeads(expected))
        expect(A.save(value)).toEqual(doc.save())
        // Values handed out earlier are consistent snapshots: same content, own heads, and outdated.
        for (const e of earlier) {
          expect(A.toJS(e.value)).toEqual(e.json)
          expect(A.getHeads(e.value)).toEqual(e.heads)
          if (e.value !== value) expect(() => A.change(e.value as A.Doc<Doc>, (d) => { d['z'] = 1 })).toThrow(/outdated/)
        }
        // The caught-up value takes local changes like any document.
        const next = A.change(value as A.Doc<Doc>, { time: 0 }, (d) => { d['local'] = true })
        expect((A.toJS(next) as Doc)['local']).toBe(true)
      }), { numRuns: 60 })
  })

  it('splits large batches into applies of at most MAX_OPS_PER_APPLY ops and still ends where one apply ends', () => {
    let src = A.init<Doc>({ actor: 'dd'.repeat(8) })
    const changes: ChangeToApply[] = []
    for (let i = 0; i < 12; i++) {
      src = A.change(src, { time: 0 }, (d) => { d[`list${i}`] = Array.from({ length: 300 }, (_, k) => k) })
      const change = A.getLastLocalChange(src)!
      changes.push({ change, ops: A.decodeChange(change).ops.length })
    }
    expect(changes.reduce((n, c) => n + c.ops, 0)).toBeGreaterThan(3 * MAX_OPS_PER_APPLY)
    const doc = createMaterialisedDoc(A.init<unknown>())
    doc.apply(changes)
    expect(doc.lagging()).toBe(changes.length)
    expect(A.toJS(doc.value())).toEqual(A.toJS(src))
    expect(doc.applyNow([])).toBe(doc.value())
  })

  it('shows readers the held value, or nothing for a hidden new document, until released', () => {
    let src = A.init<Doc>({ actor: 'ee'.repeat(8) })
    const take = (): ChangeToApply => { const change = A.getLastLocalChange(src)!; return { change, ops: A.decodeChange(change).ops.length } }
    src = A.change(src, { time: 0 }, (d) => { d['a'] = 1 })
    const first = take()
    src = A.change(src, { time: 0 }, (d) => { d['a'] = 2 })
    const second = take()

    const fresh = createMaterialisedDoc(A.init<unknown>())
    fresh.hold(true)
    fresh.apply([first])
    expect(fresh.visible()).toBeUndefined()
    fresh.release()
    expect(A.toJS(fresh.visible()!)).toEqual({ a: 1 })

    fresh.hold()
    fresh.apply([second])
    const shown = fresh.visible()!
    expect(A.toJS(shown)).toEqual({ a: 1 })
    expect(A.getHeads(shown)).toEqual([first.change].map((c) => A.decodeChange(c).hash))
    fresh.release()
    expect(A.toJS(fresh.visible()!)).toEqual({ a: 2 })
  })
})
