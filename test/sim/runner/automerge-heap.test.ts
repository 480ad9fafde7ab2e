import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { MAX_HEAP_RESERVE_BYTES, createHeapTopUp, heapReserveFor, reserveAutomergeHeap } from '../../../sim/runner/automerge-heap.ts'

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
    const check = createHeapTopUp(chunk, 1)
    const before = outsideArrayBuffers()
    check()
    expect(outsideArrayBuffers() - before).toBeLessThan(chunk / 8) // nothing grew: nothing reserved
    // Documents that outgrow any free pool: the heap grows by more than chunk / 8.
    const docs = Array.from({ length: 40 }, (_, i) => A.from({ blob: new Uint8Array(1 * MIB).fill(i) }))
    const grown = outsideArrayBuffers()
    expect(grown - before).toBeGreaterThanOrEqual(chunk / 8)
    check()
    expect(outsideArrayBuffers() - grown).toBeGreaterThanOrEqual(chunk)
    for (const d of docs) A.free(d)
  })

  it('sizes the reserve by the number of sites, within the 32-bit heap', () => {
    expect(heapReserveFor(3)).toBe(128 * MIB)
    expect(heapReserveFor(10)).toBe(240 * MIB)
    expect(heapReserveFor(40)).toBe(960 * MIB)
    expect(heapReserveFor(100)).toBe(MAX_HEAP_RESERVE_BYTES)
    expect(MAX_HEAP_RESERVE_BYTES).toBeLessThan(4096 * MIB)
  })
})
