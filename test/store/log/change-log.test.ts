import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDocumentLog, dependencyOrder, type LogEntry } from '../../../src/store/log/change-log.ts'

/** A random DAG of entries: entry i depends on some of 0..i-1 (and sometimes on a hash not held). */
const dag: fc.Arbitrary<LogEntry[]> = fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 40 }).map((picks) =>
  picks.map((p, i) => {
    const deps = [...new Set(p.map((x) => (i === 0 || x % 7 === 6) ? `missing-${x % 3}` : `h${String(x % i).padStart(3, '0')}`))].sort()
    return { hash: `h${String(i).padStart(3, '0')}`, actor: 'a', seq: i + 1, deps, signer: 's', ops: 1, time: 0, env: { docId: 'd', change: new Uint8Array(), signer: new Uint8Array(), signature: new Uint8Array() } }
  }))

describe('dependency order', () => {
  it('puts every entry after those of its dependencies that are among them, and keeps them all', () => {
    fc.assert(fc.property(dag, fc.func(fc.integer()), (entries, key) => {
      const shuffled = [...entries].sort((a, b) => key(a.hash) - key(b.hash))
      const ordered = dependencyOrder(shuffled)
      expect([...ordered].map((e) => e.hash).sort()).toEqual(entries.map((e) => e.hash).sort())
      const position = new Map(ordered.map((e, i) => [e.hash, i]))
      for (const e of ordered) for (const d of e.deps) if (position.has(d)) expect(position.get(d)!).toBeLessThan(position.get(e.hash)!)
    }), { numRuns: 200 })
  })

  it('lets a log loaded in dependency order end as one loaded in any order', () => {
    fc.assert(fc.property(dag, fc.func(fc.integer()), (entries, key) => {
      const shuffled = [...entries].sort((a, b) => key(a.hash) - key(b.hash))
      const a = createDocumentLog('d', { maxPending: Infinity })
      const b = createDocumentLog('d', { maxPending: Infinity })
      a.add(shuffled)
      const outcome = b.add(dependencyOrder(shuffled))
      expect(b.heads()).toEqual(a.heads())
      expect(b.materialisedInOrder().map((e) => e.hash)).toEqual(a.materialisedInOrder().map((e) => e.hash))
      expect(b.missingDeps()).toEqual(a.missingDeps())
      // In dependency order every materialisable entry materialises as it arrives.
      expect(outcome.applicable.map((e) => e.hash).sort()).toEqual(b.materialisedInOrder().map((e) => e.hash).sort())
    }), { numRuns: 200 })
  })
})
