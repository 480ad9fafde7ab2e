import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { decodeSnapshotRecord, encodeRecord, encodeSnapshot, encodeSnapshotRecord } from '../../../src/store/log/records.ts'

function sampleDoc (): A.Doc<Record<string, unknown>> {
  let doc = A.init<Record<string, unknown>>({ actor: 'cc'.repeat(16) })
  for (let i = 0; i < 50; i++) doc = A.change(doc, { time: 0 }, (d) => { d[`w${i}`] = { manifest: JSON.stringify({ name: `svc-${i}`, image: 'registry.example/app:1.0' }) } })
  return doc
}

describe('snapshot records', () => {
  it('round-trips a deflated snapshot to the same heads and document', () => {
    const doc = sampleDoc()
    const record = encodeSnapshotRecord(A.getHeads(doc), A.getBackend(doc).saveNoCompress())
    const { heads, saved } = decodeSnapshotRecord('snap/d', record)
    expect(heads).toEqual(A.getHeads(doc))
    expect(A.toJS(A.load(saved))).toEqual(A.toJS(doc))
  })

  it('still loads snapshots written as plain Automerge.save bytes', () => {
    const doc = sampleDoc()
    const record = encodeRecord('snapshot', encodeSnapshot(A.getHeads(doc), A.save(doc)))
    const { heads, saved } = decodeSnapshotRecord('snap/d', record)
    expect(heads).toEqual(A.getHeads(doc))
    expect(A.toJS(A.load(saved))).toEqual(A.toJS(doc))
  })

  it('reports a deflated snapshot that does not inflate as a corrupt record', () => {
    const garbage = encodeRecord('snapshot-deflated', encodeSnapshot([], Uint8Array.from([0xff, 0xff, 0xff, 0x00])))
    expect(() => decodeSnapshotRecord('snap/d', garbage)).toThrow(expect.objectContaining({ code: 'corrupt-record' }))
  })

  it('reports a snapshot whose checksum does not match as a corrupt record', () => {
    const doc = sampleDoc()
    const record = encodeSnapshotRecord(A.getHeads(doc), A.getBackend(doc).saveNoCompress())
    record[record.length - 1] = record[record.length - 1]! ^ 0x01
    expect(() => decodeSnapshotRecord('snap/d', record)).toThrow(expect.objectContaining({ code: 'corrupt-record' }))
  })
})
