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

  // Found by the simulator (byzantine-minority --duration 6m seed 511): an equivocating
  // writer's stray change, whose ancestry never reached one honest site, emptied the
  // writer's document there while every site held the same heads.
  it('materialises the same as a replica holding the same complete entries, whatever conflicting incomplete entry it holds besides', () => {
    const chain = [entry('01', [], 1), entry('02', ['01'], 2), entry('03', ['02'], 3)]
    const plain = createDocumentLog('site:x', { maxPending: 10 })
    plain.add(chain)
    const stray = createDocumentLog('site:x', { maxPending: 10 })
    // A second change at seq 2 whose dependency this replica never receives.
    const outcome = stray.add([...chain, entry('x2', ['zz'], 2)])
    expect(stray.heads()).toEqual(plain.heads())
    expect(stray.materialisedInOrder().map((e) => e.hash)).toEqual(['01', '02', '03'])
    expect(plain.materialisedInOrder().map((e) => e.hash)).toEqual(['01', '02', '03'])
    // The two signatures at one position still prove the equivocation, at once.
    expect(outcome.evidence.map((e) => [e.seq, e.pair.map((p) => p.hash)])).toEqual([[2, ['02', 'x2']]])
    expect(stray.forkedSigners()).toEqual(['k1'])
  })

  it('excludes by a fork once both of its changes are complete, whatever the order they came in', () => {
    // zz is another writer's change; x2, k1's second change at seq 2, builds on it.
    const all = [entry('01', [], 1), entry('02', ['01'], 2), entry('03', ['02'], 3), { ...entry('zz', ['01'], 1, 'a2'), signer: 'k2' }, entry('x2', ['zz'], 2)]
    const expected = ['01', 'zz']
    for (const order of [[0, 1, 2, 4, 3], [4, 3, 2, 1, 0], [3, 0, 4, 2, 1]]) {
      const log = createDocumentLog('site:x', { maxPending: 10 })
      for (const i of order) log.add([all[i]!])
      expect(log.materialisedInOrder().map((e) => e.hash).sort(), order.join(',')).toEqual(expected)
    }
    // Held back while x2 lacked zz, and excluded from when zz arrives.
    const log = createDocumentLog('site:x', { maxPending: 10 })
    log.add(all.slice(0, 3))
    const early = log.add([all[4]!])
    expect(early.rebuild).toBe(false)
    expect(log.materialisedInOrder().map((e) => e.hash)).toEqual(['01', '02', '03'])
    const late = log.add([all[3]!])
    expect(late.rebuild).toBe(true)
    expect(log.materialisedInOrder().map((e) => e.hash)).toEqual(['01', 'zz'])
  })
})
