import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createDocumentValue, type ChangeToApply, type DocumentValue } from '../../src/store/document-value.ts'

type Doc = Record<string, unknown>

/** An author's history: `n` changes, each setting one key. */
function history (n: number): Uint8Array[] {
  let doc = A.init<Doc>({ actor: 'aa'.repeat(16) })
  for (let i = 0; i < n; i++) doc = A.change(doc, { time: 0 }, (d) => { d[`k${i}`] = { i } })
  return A.getAllChanges(doc)
}

const readDoc = (v: DocumentValue): A.Doc<Doc> => v.read() as A.Doc<Doc>

const asApply = (changes: Uint8Array[]): ChangeToApply[] => changes.map((change) => ({ env: { change }, ops: 2 }))

function eager (changes: Uint8Array[]): A.Doc<Doc> {
  return A.applyChanges(A.init<Doc>(), changes)[0]
}

describe('document value', () => {
  it('shows every applied change on the next read, exactly as A.applyChanges would (patching a small lag)', () => {
    const all = history(40)
    const value = createDocumentValue(eager(all.slice(0, 35)))
    value.read()
    value.apply(asApply(all.slice(35)))
    expect(value.lagging()).toBe(5)
    expect(value.heads()).toEqual(A.getHeads(eager(all)))
    const read = value.read()
    expect(value.lagging()).toBe(0)
    expect(A.toJS(read)).toEqual(A.toJS(eager(all)))
    expect(A.getHeads(read)).toEqual(A.getHeads(eager(all)))
  })

  it('catches up a value that lags by most of its history, and a local change continues that history', () => {
    const all = history(30)
    const value = createDocumentValue(A.init<Doc>({ actor: 'bb'.repeat(16) }))
    value.apply(asApply(all))
    const read = readDoc(value)
    expect(A.toJS(read)).toEqual(A.toJS(eager(all)))
    expect(A.getHeads(read)).toEqual(A.getHeads(eager(all)))
    const next = A.change(read, { time: 0 }, (d) => { d['local'] = true })
    expect(A.getActorId(next)).toBe('bb'.repeat(16))
    value.replace(next)
    expect(readDoc(value)['local']).toBe(true)
    expect(value.lagging()).toBe(0)
  })

  it('keeps a value already handed to a reader as it was, reporting its own heads, while later changes apply', () => {
    const all = history(10)
    const value = createDocumentValue(eager(all.slice(0, 8)))
    const held = readDoc(value)
    const heldHeads = A.getHeads(held)
    value.apply(asApply(all.slice(8)))
    expect(A.getHeads(held)).toEqual(heldHeads)
    expect(held['k9']).toBeUndefined()
    expect(() => A.change(held, (d) => { d['x'] = 1 })).toThrow(/outdated/)
    expect(readDoc(value)['k9']).toEqual({ i: 9 })
    expect(A.getHeads(held)).toEqual(heldHeads)
  })

  it('saves the applied history even while the value lags', () => {
    const all = history(12)
    const value = createDocumentValue(eager(all.slice(0, 10)))
    value.apply(asApply(all.slice(10)))
    const loaded = A.load<Doc>(value.save())
    expect(A.getHeads(loaded)).toEqual(A.getHeads(eager(all)))
    expect(A.toJS(loaded)).toEqual(A.toJS(eager(all)))
  })
})
