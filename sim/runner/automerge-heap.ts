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
 * Where a run stops: Automerge's heap is a 32-bit WebAssembly memory, and an allocation
 * past 4 GiB aborts inside whichever site asked for it, leaving the one heap every
 * simulated site shares in an undefined state. Stopping short of that keeps the verdicts
 * of the virtual time reached, and says what to change.
 */
export const HEAP_STOP_BYTES = 3840 * MIB

export interface HeapWatchOptions {
  /** What a top-up reserves (default 256 MiB). */
  chunk?: number
  /** Act on every n-th call (default 16): reading the process's memory is not free. */
  checkEvery?: number
  /** The heap size at which the run must stop (default `HEAP_STOP_BYTES`). */
  stopAtBytes?: number
}

/**
 * A check to run between events: once the heap has grown by `chunk / 8` past its last
 * reserve (the free pool is used up and the allocator grows it page by page again), it
 * reserves another `chunk`. Large runs outgrow any one reserve (100 sites passed 1.4 GB
 * within three virtual seconds). It returns the heap's size once that reached
 * `stopAtBytes`, and then on every call: the run must stop (see `heapExhausted`).
 */
export function createHeapWatch (options: HeapWatchOptions = {}): () => number | undefined {
  const { chunk = 256 * MIB, checkEvery = 16, stopAtBytes = HEAP_STOP_BYTES } = options
  let mark = wasmBytes()
  let calls = 0
  let full: number | undefined
  return () => {
    if (full !== undefined || ++calls % checkEvery !== 0) return full
    const now = wasmBytes()
    if (now >= stopAtBytes) return (full = now)
    if (now - mark < chunk / 8 || now > TOP_UP_CEILING_BYTES) return undefined
    allocateAndFree(chunk)
    mark = wasmBytes()
    return undefined
  }
}

/** Why a run stopped when the heap filled up, and what to do about it. */
export function heapExhausted (bytes: number, virtualMs: number, sites: number): string {
  const gib = (bytes / (1024 * MIB)).toFixed(2)
  return `Automerge's WebAssembly heap reached ${gib} GiB of the 4 GiB it can address at ${(virtualMs / 1000).toFixed(1)} virtual s ` +
    `(${sites} simulated sites, each holding a copy of every site's documents, share that one heap); the run stopped there, ` +
    'before an allocation could fail inside a site, and its verdicts cover only the virtual time reached. ' +
    'Run fewer sites (--sites) or a shorter --duration.'
}
