import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { HEAP_STOP_BYTES, MAX_HEAP_RESERVE_BYTES, createHeapWatch, heapExhausted, heapReserveFor, reserveAutomergeHeap } from '../../../sim/runner/automerge-heap.ts'

const MIB = 1 << 20

/** The process's WebAssembly and native memory outside JS ArrayBuffers (Automerge's heap is most of it). */
const outsideArrayBuffers = (): number => { const m = process.memoryUsage(); return m.external - m.arrayBuffers }

describe('the Automerge heap reserve of a simulated run', () => {
  it('grows the heap by the reserve once, and Automerge works on after it', () => {
    const before = outsideArrayBuffers()
    expect(reserveAutomergeHeap(64 * MIB)).toBe(64 * MIB)
    expect(outsideArrayBuffers() - before).toBeGreaterThanOrEqual(64 * MIB)
    // Asking again for no more reserves nothing; a larger request adds the difference.
    expect(reserveAutomergeHeap(64 * MIB)).toBe(0)
    expect(reserveAutomergeHeap(80 * MIB)).toBe(16 * MIB)
    const doc = A.change(A.init<{ n?: number }>(), (d) => { d.n = 1 })
    expect(A.load<{ n?: number }>(A.save(doc)).n).toBe(1)
  })

  it('tops the pool up once the heap has grown past it, and not before', () => {
    const chunk = 16 * MIB
    const check = createHeapWatch({ chunk, checkEvery: 1 })
    const before = outsideArrayBuffers()
    expect(check()).toBeUndefined()
    expect(outsideArrayBuffers() - before).toBeLessThan(chunk / 8) // nothing grew: nothing reserved
    // Documents that outgrow any free pool: the heap grows by more than chunk / 8.
    const docs = Array.from({ length: 40 }, (_, i) => A.from({ blob: new Uint8Array(1 * MIB).fill(i) }))
    const grown = outsideArrayBuffers()
    expect(grown - before).toBeGreaterThanOrEqual(chunk / 8)
    expect(check()).toBeUndefined()
    expect(outsideArrayBuffers() - grown).toBeGreaterThanOrEqual(chunk)
    for (const d of docs) A.free(d)
  })

  it('reports the heap once it reaches the stop size, on every later call, and reserves nothing more', () => {
    const stopAt = outsideArrayBuffers() + 4 * MIB
    const check = createHeapWatch({ chunk: 64 * MIB, checkEvery: 1, stopAtBytes: stopAt })
    expect(check()).toBeUndefined()
    // Documents until the heap grows past the stop size (the free pool earlier tests left comes first).
    const docs: Array<A.Doc<unknown>> = []
    while (outsideArrayBuffers() < stopAt && docs.length < 1024) docs.push(A.from({ blob: new Uint8Array(1 * MIB).fill(docs.length % 256) }))
    const full = check()
    expect(full).toBeGreaterThanOrEqual(stopAt)
    // Past the stop size a top-up would only hasten the end: the heap stays as it was.
    expect(outsideArrayBuffers() - (full ?? 0)).toBeLessThan(64 * MIB)
    expect(check()).toBe(full)
    for (const d of docs) A.free(d)
  })

  it('says how far the heap got, when, and what to change', () => {
    const message = heapExhausted(3.8 * 1024 * MIB, 42_300, 100)
    expect(message).toContain('3.80 GiB')
    expect(message).toContain('42.3 virtual s')
    expect(message).toContain('100 simulated sites')
    expect(message).toContain('--sites')
    expect(HEAP_STOP_BYTES).toBeLessThan(4096 * MIB)
    expect(HEAP_STOP_BYTES).toBeGreaterThan(MAX_HEAP_RESERVE_BYTES)
  })

  it('sizes the reserve by the number of sites, within the 32-bit heap', () => {
    expect(heapReserveFor(3)).toBe(128 * MIB)
    expect(heapReserveFor(10)).toBe(240 * MIB)
    expect(heapReserveFor(40)).toBe(960 * MIB)
    expect(heapReserveFor(100)).toBe(MAX_HEAP_RESERVE_BYTES)
    expect(MAX_HEAP_RESERVE_BYTES).toBeLessThan(4096 * MIB)
  })
})
