/**
 * A latency histogram with fixed upper bounds, recorded in place and read as a
 * `HistogramSnapshot`. The dashboard times its own requests with it; the bounds are
 * Prometheus' usual ones for HTTP handlers, from 5 ms to 10 s.
 */
import type { HistogramSnapshot } from '../../site/site-handle.ts'

/** Seconds; Prometheus client libraries' default buckets. */
export const DEFAULT_LATENCY_BOUNDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface LatencyHistogram {
  /** Records one observation in seconds (negative or non-finite values are ignored). */
  observe (seconds: number): void
  snapshot (): HistogramSnapshot
}

export function createLatencyHistogram (bounds: readonly number[] = DEFAULT_LATENCY_BOUNDS): LatencyHistogram {
  const les = [...bounds]
  // One slot per bound; counts become cumulative only when read.
  const counts = new Array<number>(les.length).fill(0)
  let sum = 0
  let count = 0
  return {
    observe (seconds) {
      if (!Number.isFinite(seconds) || seconds < 0) return
      count++
      sum += seconds
      const i = les.findIndex((le) => seconds <= le)
      if (i >= 0) counts[i] = (counts[i] as number) + 1
    },
    snapshot () {
      let running = 0
      const buckets = les.map((le, i) => { running += counts[i] as number; return { le, count: running } })
      return { buckets, sum, count }
    }
  }
}
