import * as Automerge from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BUCKETS, bucketOf, fnv1a32 } from '../../../src/store/docs/bucket.ts'
import { canonicalJson } from '../../../src/store/docs/canonical-json.ts'
import { putWorkload } from '../../../src/store/docs/site-workloads.ts'
import { edit, newSiteDoc, workload } from './fixtures.ts'

/** FNV-1a over TextEncoder's bytes: the definition the fast path must match. */
function fnvReference (s: string): number {
  let h = 0x811c9dc5
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0
  return h
}

describe('bucket layout', () => {
  it('hashes with FNV-1a over UTF-8 (published test vectors and any string)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => fnv1a32(s) === fnvReference(s)), { numRuns: 300 })
  })

  it('names buckets with two hex characters within the collection\'s count', () => {
    for (const [name, count] of Object.entries(BUCKETS)) {
      expect(count & (count - 1), name).toBe(0)
      expect(count).toBeLessThanOrEqual(256)
    }
    fc.assert(fc.property(fc.string(), (k) => {
      const b = bucketOf(k, BUCKETS.workloads)
      return /^[0-9a-f]{2}$/.test(b) && parseInt(b, 16) < BUCKETS.workloads
    }))
  })

  it('spreads 10,000 workload keys so that no bucket holds more than twice the mean', () => {
    const sizes = new Map<string, number>()
    for (let i = 0; i < 10_000; i++) {
      const b = bucketOf(`apps/Deployment/team-${i % 37}/service-${i}`, BUCKETS.workloads)
      sizes.set(b, (sizes.get(b) ?? 0) + 1)
    }
    const mean = 10_000 / BUCKETS.workloads
    expect(sizes.size).toBe(BUCKETS.workloads)
    expect(Math.max(...sizes.values())).toBeLessThan(2 * mean)
  })

  it('keeps every map of a site document with 1,000 workloads small', () => {
    const doc = edit(newSiteDoc('eu-west'), (d) => {
      for (let i = 0; i < 1000; i++) putWorkload(d, workload('eu-west', `svc-${i}`))
    })
    // 256 buckets nest as 16 x 16, so no map on a workload's path holds more than 16 buckets.
    const first = Object.values(doc.workloads)
    expect(first.length).toBeLessThanOrEqual(16)
    const buckets = first.flatMap((m) => Object.values(m))
    expect(Math.max(...first.map((m) => Object.keys(m).length))).toBeLessThanOrEqual(16)
    expect(buckets.reduce((n, b) => n + Object.keys(b).length, 0)).toBe(1000)
    expect(Math.max(...buckets.map((b) => Object.keys(b).length))).toBeLessThanOrEqual(16)
    // A record is one scalar of canonical JSON, not a nested map or a text object.
    const entry: unknown = Object.values(buckets[0]!)[0]
    expect(Automerge.isImmutableString(entry)).toBe(true)
    const record = JSON.parse((entry as Automerge.ImmutableString).val) as Record<string, unknown>
    expect(Object.keys(record)).toEqual(['generation', 'manifest', 'origin', 'residency', 'stateless', 'updatedAt'])
    expect(canonicalJson(record)).toBe((entry as Automerge.ImmutableString).val)
  })

  it('writes a new or changed workload as one op, and an unchanged one as none', () => {
    let doc = newSiteDoc('eu-west')
    const opsOfLastChange = (): number => Automerge.decodeChange(Automerge.getLastLocalChange(doc)!).ops.length
    doc = edit(doc, (d) => { putWorkload(d, workload('eu-west', 'svc-1')) })
    // The record, and the two bucket maps on its path the first time they are used.
    expect(opsOfLastChange()).toBe(3)
    doc = edit(doc, (d) => { putWorkload(d, workload('eu-west', 'svc-1', { replicas: 9 })) })
    expect(opsOfLastChange()).toBe(1)
    const heads = Automerge.getHeads(doc)
    doc = edit(doc, (d) => { putWorkload(d, workload('eu-west', 'svc-1', { replicas: 9 })) })
    expect(Automerge.getHeads(doc)).toEqual(heads)
  })
})

describe('canonical JSON', () => {
  it('gives the same string whatever the key order', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const shuffled = JSON.parse(JSON.stringify(v, (_k, x: unknown) => {
        if (typeof x !== 'object' || x === null || Array.isArray(x)) return x
        return Object.fromEntries(Object.entries(x).reverse())
      })) as unknown
      return canonicalJson(shuffled) === canonicalJson(v) && canonicalJson(JSON.parse(canonicalJson(v))) === canonicalJson(v)
    }), { numRuns: 200 })
  })

  it('drops undefined members and refuses what JSON cannot hold', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined, 2] })).toBe('{"b":1,"c":[null,2]}')
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/'\$\.x' must be plain JSON data/)
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/Date/)
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/plain JSON/)
  })
})
