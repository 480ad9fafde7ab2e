import { describe, expect, it } from 'vitest'
import { deliverOnLink, newLinkTiming } from '../../../sim/network/link-delivery.ts'
import { resolveLinkModel, type LinkModel } from '../../../sim/network/link-model.ts'
import type { Rng } from '../../../src/ports/rng.ts'
import { createSeededRng } from './seeded-rng.ts'

/** An Rng that counts its draws, to show which fates draw nothing. */
function counting (rng: Rng): { rng: Rng, draws: () => number } {
  let n = 0
  return { rng: { ...rng, nextFloat: () => { n++; return rng.nextFloat() } }, draws: () => n }
}

const jitter = (o: Partial<LinkModel> = {}): LinkModel => resolveLinkModel({ latency: { kind: 'uniform', minMs: 5, maxMs: 100 }, ...o })

describe('what a link does to a frame', () => {
  it('drops a frame its full queue has no room for, drawing nothing, and keeps the queue as it was', () => {
    const m = jitter({ bandwidthBytesPerSec: 1000, queueBytes: 1500 })
    const timing = newLinkTiming()
    const { rng, draws } = counting(createSeededRng(1))
    expect(deliverOnLink(m, timing, { now: 0, bytes: 1000, epoch: 1 }, rng).fate).toBe('sent')
    const before = { ...timing }
    const n = draws()
    // 1,000 bytes still queued (one second at 1,000 B/s) + 1,000 more > 1,500.
    expect(deliverOnLink(m, timing, { now: 0, bytes: 1000, epoch: 1 }, rng)).toEqual({ fate: 'queue-full' })
    expect(draws()).toBe(n)
    expect(timing).toEqual(before)
  })

  it('delivers in the order given, each frame after the one before, within the latency bounds when the queue is idle', () => {
    const timing = newLinkTiming()
    const rng = createSeededRng(2)
    const arrivals = Array.from({ length: 200 }, () => {
      const d = deliverOnLink(jitter(), timing, { now: 1000, bytes: 100, epoch: 1 }, rng)
      if (d.fate !== 'sent') throw new Error(d.fate)
      return d.arrivals[0]!
    })
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]).toBeGreaterThan(arrivals[i - 1]!)
    for (const at of arrivals) { expect(at).toBeGreaterThanOrEqual(1005); expect(at).toBeLessThanOrEqual(1100) }
  })

  it('lets frames overtake when the link reorders, and starts a new connection\'s order afresh', () => {
    const rng = createSeededRng(3)
    const firsts = (m: LinkModel, timing = newLinkTiming(), epoch = 1): number[] => Array.from({ length: 50 }, () => {
      const d = deliverOnLink(m, timing, { now: 0, bytes: 100, epoch }, rng)
      return d.fate === 'sent' ? d.arrivals[0]! : Number.NaN
    })
    const reordering = firsts(jitter({ reorder: 1 }))
    expect(reordering).not.toEqual([...reordering].sort((a, b) => a - b))
    const timing = newLinkTiming()
    const old = firsts(jitter(), timing, 1)
    // A frame on the next connection is not held behind the last one of the broken one.
    const next = deliverOnLink(resolveLinkModel({ latency: { kind: 'fixed', ms: 1 } }), timing, { now: 0, bytes: 100, epoch: 2 }, rng)
    expect(next).toEqual({ fate: 'sent', arrivals: [1] })
    expect(Math.max(...old)).toBeGreaterThan(1)
  })

  it('loses or duplicates at the model\'s rates, a duplicate arriving after its original', () => {
    const rng = createSeededRng(4)
    const timing = newLinkTiming()
    const m = resolveLinkModel({ latency: { kind: 'uniform', minMs: 1, maxMs: 50 }, loss: 0.25, duplicate: 0.25 })
    const fates = { lost: 0, sent: 0, twice: 0 }
    for (let i = 0; i < 4000; i++) {
      const d = deliverOnLink(m, timing, { now: i, bytes: 100, epoch: 1 }, rng)
      if (d.fate === 'lost') fates.lost++
      if (d.fate !== 'sent') continue
      fates.sent++
      if (d.arrivals.length === 2) { fates.twice++; expect(d.arrivals[1]).toBeGreaterThan(d.arrivals[0]!) }
    }
    expect(fates.lost / 4000).toBeGreaterThan(0.2); expect(fates.lost / 4000).toBeLessThan(0.3)
    expect(fates.twice / fates.sent).toBeGreaterThan(0.2); expect(fates.twice / fates.sent).toBeLessThan(0.3)
  })
})
