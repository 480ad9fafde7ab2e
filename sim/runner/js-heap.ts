/**
 * A guard on V8's own heap, beside the one on Automerge's (automerge-heap.ts): a hundred
 * simulated sites hold a hundred copies of the federation's views, sessions and frames in
 * one process, and V8 aborts the whole process when its heap limit is reached, verdicts,
 * report and trace lost. The run stops instead once the heap in use passes a share of the
 * limit, with a message that says how far it got and what to change.
 */
import { getHeapStatistics } from 'node:v8'

export interface JsHeapWatchOptions {
  /** Share of V8's heap limit at which the run stops (default 0.85). */
  stopAtFraction?: number
  /** Act on every n-th call (default 64): reading the heap statistics is not free. */
  checkEvery?: number
  /** Heap statistics (tests pass their own). */
  stats?: () => { used_heap_size: number, heap_size_limit: number }
}

export interface JsHeapFull { usedBytes: number, limitBytes: number }

/** A check to run between events: returns the heap's use and limit once the use reached the stop share, and then on every call. */
export function createJsHeapWatch (options: JsHeapWatchOptions = {}): () => JsHeapFull | undefined {
  const { stopAtFraction = 0.85, checkEvery = 64, stats = getHeapStatistics } = options
  let calls = 0
  let full: JsHeapFull | undefined
  return () => {
    if (full !== undefined || ++calls % checkEvery !== 0) return full
    const s = stats()
    if (s.used_heap_size >= stopAtFraction * s.heap_size_limit) full = { usedBytes: s.used_heap_size, limitBytes: s.heap_size_limit }
    return full
  }
}

/** Why a run stopped when V8's heap filled up, and what to do about it. */
export function jsHeapExhausted (full: JsHeapFull, virtualMs: number, sites: number): string {
  const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`
  return `the JavaScript heap reached ${mib(full.usedBytes)} of its ${mib(full.limitBytes)} limit at ${(virtualMs / 1000).toFixed(1)} virtual s ` +
    `(${sites} simulated sites in one process); the run stopped there, before V8 would abort the process, and its verdicts cover only the virtual time reached. ` +
    'Run fewer sites (--sites) or a shorter --duration, or give Node a larger heap (NODE_OPTIONS=--max-old-space-size=<MiB>, within the machine\'s memory).'
}
