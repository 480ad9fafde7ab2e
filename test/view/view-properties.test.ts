import * as Automerge from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { siteDocId } from '../../src/store/docs/schema.ts'
import { buildView } from '../../src/view/build-view.ts'
import { createViewCache } from '../../src/view/view-cache.ts'
import { actorFor } from '../store/docs/fixtures.ts'
import { applyBatch, batchesArb, initialDocs, SITES, type Docs } from './model.ts'

function permute<T> (items: readonly T[], keys: readonly number[]): T[] {
  return items.map((item, i) => ({ item, k: keys[i] ?? 0, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.item)
}

describe('buildView properties', () => {
  it('gives an identical view for any order of the same documents', () => {
    fc.assert(fc.property(batchesArb, fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), (batches, keys) => {
      const docs = initialDocs()
      for (const b of batches) applyBatch(docs, b)
      const entries = [...docs].map(([id, doc]) => ({ id, doc }))
      const view = buildView(docs)
      expect(buildView(permute(entries, keys))).toEqual(view)
      expect(buildView(entries.slice().reverse())).toEqual(view)
      // and reading the same documents loaded afresh changes nothing
      expect(buildView(entries.map(({ id, doc }) => ({ id, doc: Automerge.load(Automerge.save(doc)) })))).toEqual(view)
    }), { numRuns: 40 })
  })

  it('incremental refresh equals a full rebuild after every batch, across reloads, rewinds and removals', () => {
    const step = fc.record({
      batch: batchesArb.map((b) => b.flat()),
      // what else happens to the documents before the refresh
      twist: fc.constantFrom('none', 'none', 'none', 'reload', 'rewind', 'drop')
    })
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.nat(SITES.length - 1), (steps, victim) => {
      const docs: Docs = initialDocs()
      const cache = createViewCache()
      const id = siteDocId(SITES[victim]!)
      const saved: Uint8Array[] = [Automerge.save(docs.get(id)!)]
      for (const { batch, twist } of steps) {
        applyBatch(docs, batch)
        if (docs.has(id)) saved.push(Automerge.save(docs.get(id)!))
        if (twist === 'reload' && docs.has(id)) {
          docs.set(id, Automerge.load(Automerge.save(docs.get(id)!), { actor: actorFor(SITES[victim]!) }))
        } else if (twist === 'rewind') {
          // e.g. the log dropped an equivocating writer's changes: history the cache saw is gone
          docs.set(id, Automerge.load(saved[Math.floor(saved.length / 2)]!, { actor: actorFor(SITES[victim]!, saved.length) }))
        } else if (twist === 'drop') {
          docs.delete(id)
        }
        expect(cache.refresh(docs)).toEqual(buildView(docs))
      }
      // a refresh with nothing changed reuses everything
      cache.refresh(docs)
      expect(cache.stats).toEqual({ full: 0, incremental: 0, reused: docs.size })
    }), { numRuns: 40 })
  })

  it('follows small changes incrementally instead of re-reading documents', () => {
    const docs = initialDocs()
    const cache = createViewCache()
    applyBatch(docs, [{ t: 'workload', site: 0, name: 1, replicas: 2 }])
    cache.refresh(docs)
    expect(cache.stats.full).toBe(docs.size)
    applyBatch(docs, [{ t: 'workload', site: 0, name: 1, replicas: 3 }, { t: 'share', site: 1, name: 1, cluster: 0, ready: 1 }])
    const view = cache.refresh(docs)
    expect(cache.stats).toEqual({ full: 0, incremental: 2, reused: docs.size - 2 })
    expect(view).toEqual(buildView(docs))
  })
})
