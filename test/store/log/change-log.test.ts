import { describe, expect, it } from 'vitest'
import { createDocumentLog, type LogEntry } from '../../../src/store/log/change-log.ts'

/** A log entry with just what the log reads: a hash, its dependencies, an author position. */
function entry (hash: string, deps: string[], seq: number, actor = 'a1'): LogEntry {
  return { hash, actor, seq, deps, signer: 'k1', ops: 1, time: 0, env: { docId: 'site:x', signer: new Uint8Array(32), signature: new Uint8Array(64), change: new Uint8Array(0) } }
}

describe('document log', () => {
  it('counts complete entries, and not those still missing an ancestor', () => {
    const log = createDocumentLog('site:x', { maxPending: 10 })
    log.add([entry('01', [], 1), entry('03', ['02'], 3)])
    expect(log.completeCount()).toBe(1)
    expect([...log.hashes()].filter((h) => log.isComplete(h))).toHaveLength(1)
    log.add([entry('02', ['01'], 2)])
    expect(log.completeCount()).toBe(3)
    expect(log.size()).toBe(3)
  })

  it('answers what a peer lacks with entries added after an earlier answer, in dependency order', () => {
    const log = createDocumentLog('site:x', { maxPending: 10 })
    log.add([entry('0a', [], 1), entry('0b', ['0a'], 2)])
    expect(log.addedSince([]).map((e) => e.hash)).toEqual(['0a', '0b'])
    expect(log.addedSince(['0a']).map((e) => e.hash)).toEqual(['0b'])
    // A later entry whose hash sorts first must still come after its dependencies.
    log.add([entry('00', ['0b'], 3)])
    expect(log.addedSince([]).map((e) => e.hash)).toEqual(['0a', '0b', '00'])
    expect(log.addedSince(['0b']).map((e) => e.hash)).toEqual(['00'])
    expect(log.materialisedInOrder().map((e) => e.hash)).toEqual(['0a', '0b', '00'])
  })
})
