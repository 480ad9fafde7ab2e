import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { firstValue, firstValueSupported } from '../../src/store/first-value.ts'

type Doc = Record<string, unknown>

/** Histories of two authors editing nested maps and lists, merged. */
function histories (steps: Array<[number, string, number]>): Uint8Array[] {
  let a = A.init<Doc>({ actor: 'aa'.repeat(16) })
  let b = A.init<Doc>({ actor: 'bb'.repeat(16) })
  for (const [who, key, n] of steps) {
    const edit = (d: Doc): void => {
      const m = (d[key] ??= {}) as Record<string, unknown>
      m[`f${n % 5}`] = n
      if (n % 3 === 0) m['list'] = [n, String(n)]
      if (n % 7 === 0) delete d[key]
    }
    if (who === 0) a = A.change(a, { time: 0 }, edit); else b = A.change(b, { time: 0 }, edit)
    if (n % 4 === 0) { a = A.merge(a, b); b = A.merge(b, a) }
  }
  return A.getAllChanges(A.merge(a, b))
}

describe('first value of a document', () => {
  it('uses the Automerge internals it was written for (a failure means the fallback runs: update first-value.ts)', () => {
    expect(firstValueSupported(A.init<Doc>())).toBe(true)
  })

  it('equals what A.applyChanges builds, value and heads, for any history', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.constantFrom('x', 'y', 'z'), fc.nat(50)), { maxLength: 40 }), (steps) => {
      const changes = histories(steps)
      const doc = A.init<Doc>()
      A.getBackend(doc).applyChanges(changes)
      const built = firstValue(doc) as A.Doc<Doc>
      const reference = A.applyChanges(A.init<Doc>(), changes)[0]
      expect(A.toJS(built)).toEqual(A.toJS(reference))
      expect(A.getHeads(built)).toEqual(A.getHeads(reference))
    }), { numRuns: 50 })
  })

  it('leaves the old value outdated, and the new one takes later changes and local edits as usual', () => {
    const changes = histories([[0, 'x', 1], [1, 'y', 2], [0, 'x', 3]])
    const old = A.init<Doc>({ actor: 'cc'.repeat(16) })
    A.getBackend(old).applyChanges(changes.slice(0, 2))
    const first = firstValue(old) as A.Doc<Doc>
    expect(() => A.change(old, (d) => { d['no'] = 1 })).toThrow(/outdated/)
    A.getBackend(first).applyChanges(changes.slice(2))
    const caughtUp = A.applyChanges(first, [])[0]
    expect(A.toJS(caughtUp)).toEqual(A.toJS(A.applyChanges(A.init<Doc>(), changes)[0]))
    const edited = A.change(caughtUp, { time: 0 }, (d) => { d['local'] = true })
    expect(edited['local']).toBe(true)
    expect(A.getActorId(edited)).toBe('cc'.repeat(16))
  })
})
