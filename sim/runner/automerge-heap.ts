/**
 * Room in Automerge's WebAssembly heap, reserved before a simulated federation starts.
 * Every simulated site's documents share the one WebAssembly memory of this process, and
 * Automerge's allocator grows that memory a few pages at a time; V8 then counts the
 * whole memory as newly allocated external memory and runs a young-generation collection
 * ("external memory pressure") after nearly every growth. At 40 sites that was 1,325 of
 * 1,498 collections in 30 s and most of the run's time. One large allocation, freed at
 * once, leaves the allocator a free pool to serve later documents from without growing.
 *
 * The allocation is Automerge's own: `load` copies its argument into the heap before it
 * parses it, and zeros are no document, so the copy is freed as the load is refused.
 * Nothing the simulated sites do can observe it (traces are unchanged); it only moves
 * when memory is committed. A production site holds one federation's documents, not
 * many sites' copies of them, and does not do this.
 */
import * as A from '@automerge/automerge'

const MIB = 1 << 20
/** Largest reserve: Automerge's heap is a 32-bit WebAssembly memory (4 GiB at most). */
export const MAX_HEAP_RESERVE_BYTES = 1536 * MIB

/** The reserve for a run of `sites` sites: about 24 MiB a site, at least 128 MiB. */
export function heapReserveFor (sites: number): number {
  return Math.min(MAX_HEAP_RESERVE_BYTES, Math.max(128 * MIB, sites * 24 * MIB))
}

let reserved = 0

/** Has Automerge allocate `bytes` in its heap and free them: `load` copies its argument in, then refuses zeros. */
function allocateAndFree (bytes: number): void {
  try {
    A.load(new Uint8Array(bytes))
  } catch {
    // Refused, as intended: the copy was made and freed.
  }
}

/** Memory outside the JS heap and its ArrayBuffers: Automerge's WebAssembly heap, mostly. */
const wasmBytes = (): number => { const m = process.memoryUsage(); return m.external - m.arrayBuffers }
/** Top-ups stop here, well short of the 4 GiB a 32-bit heap can reach. */
const TOP_UP_CEILING_BYTES = 3072 * MIB

/**
 * Reserves `bytes` of Automerge's heap once per process (a later, larger request adds the
 * difference); returns the bytes newly reserved.
 */
export function reserveAutomergeHeap (bytes: number): number {
  const more = Math.min(MAX_HEAP_RESERVE_BYTES, Math.floor(bytes)) - reserved
  if (more <= 0) return 0
  allocateAndFree(more)
  reserved += more
  return more
}

/**
 * A check to run between events: once the heap has grown by `chunk / 8` past its last
 * reserve (the free pool is used up and the allocator grows it page by page again), it
 * reserves another `chunk`. Large runs outgrow any one reserve (100 sites passed 1.4 GB
 * within three virtual seconds).
 */
export function createHeapTopUp (chunk = 256 * MIB, checkEvery = 16): () => void {
  let mark = wasmBytes()
  let calls = 0
  return () => {
    if (++calls % checkEvery !== 0) return
    const now = wasmBytes()
    if (now - mark < chunk / 8 || now > TOP_UP_CEILING_BYTES) return
    allocateAndFree(chunk)
    mark = wasmBytes()
  }
}
