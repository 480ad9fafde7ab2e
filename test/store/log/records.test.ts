import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createSigner, keyPairFromSeed } from '../../../src/identity/keys.ts'
import { encodeSignedChange, signChange } from '../../../src/store/log/envelope.ts'
import { decodeRecord, decodeSnapshot, encodeChangeRecord, encodeRecord, encodeSnapshot } from '../../../src/store/log/records.ts'

function sampleDoc (): A.Doc<Record<string, unknown>> {
  let doc = A.init<Record<string, unknown>>({ actor: 'cc'.repeat(16) })
  for (let i = 0; i < 50; i++) doc = A.change(doc, { time: 0 }, (d) => { d[`w${i}`] = { manifest: JSON.stringify({ name: `svc-${i}`, image: 'registry.example/app:1.0' }) } })
  return doc
}

describe('snapshot records', () => {
  it('round-trips a snapshot to the same heads and document', () => {
    const doc = sampleDoc()
    const record = encodeRecord('snapshot', encodeSnapshot(A.getHeads(doc), A.save(doc)))
    const { heads, saved } = decodeSnapshot(decodeRecord('snap/d', 'snapshot', record))
    expect(heads).toEqual(A.getHeads(doc))
    expect(A.toJS(A.load(saved))).toEqual(A.toJS(doc))
  })

  it('reports a snapshot whose checksum does not match as a corrupt record', () => {
    const doc = sampleDoc()
    const record = encodeRecord('snapshot', encodeSnapshot(A.getHeads(doc), A.save(doc)))
    record[record.length - 1] = record[record.length - 1]! ^ 0x01
    expect(() => decodeRecord('snap/d', 'snapshot', record)).toThrow(expect.objectContaining({ code: 'corrupt-record' }))
  })

  it('refuses a change record read as a snapshot', () => {
    const record = encodeRecord('change', Uint8Array.of(1, 2, 3))
    expect(() => decodeRecord('snap/d', 'snapshot', record)).toThrow(/expected a snapshot record/)
  })
})

describe('change records', () => {
  it('encode a signed change in place exactly as framing its encoded envelope would', () => {
    const keys = keyPairFromSeed(new Uint8Array(32).fill(3))
    const doc = A.change(A.init<Record<string, unknown>>(), { time: 0 }, (d) => { d['x'] = 'y'.repeat(300) })
    for (const docId of ['site:eu', 'federation', 'site:' + 'é'.repeat(200)]) {
      const env = signChange(createSigner(keys), docId, A.getLastLocalChange(doc)!)
      expect(encodeChangeRecord(env)).toEqual(encodeRecord('change', encodeSignedChange(env)))
    }
  })
})
