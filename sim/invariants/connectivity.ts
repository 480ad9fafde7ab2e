/**
 * Ground truth about who could talk to whom: sampled from the fabric every sampling
 * period, for every pair of sites, the last time the pair was broken (either site not
 * up, a cut recorded by the fault injector, or either side not seeing the other connected). "Continuously connected since t"
 * is then `lastBreak < t`, to the sampling period's precision — the convergence lag and
 * the no-false-failure rule use it to judge only pairs that really could talk.
 */
import type { World } from '../runner/world.ts'

export interface Connectivity {
  /** Samples the fabric now. */
  sample (): void
  /** True time of the last sample at which sites `a` and `b` (indices) were not both up and connected; -Infinity if never. */
  lastBreak (a: number, b: number): number
  /** Whether `a` and `b` were connected at the last sample. */
  connected (a: number, b: number): boolean
}

export function createConnectivity (world: World): Connectivity {
  const n = world.sites.length
  const breaks = new Float64Array(n * n).fill(-Infinity)
  const now = new Uint8Array(n * n)
  const idx = (a: number, b: number): number => a < b ? a * n + b : b * n + a
  // Before the first sample nobody was connected.
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) breaks[idx(a, b)] = 0
  return {
    sample () {
      const t = world.now()
      const sites = world.sites
      for (let a = 0; a < n; a++) {
        const sa = sites[a]!
        for (let b = a + 1; b < n; b++) {
          const sb = sites[b]!
          const ok = sa.state === 'up' && sb.state === 'up' && !world.isBlocked(sa, sb) && world.fabric.isConnected(sa.peer, sb.peer) && world.fabric.isConnected(sb.peer, sa.peer)
          const i = idx(a, b)
          now[i] = ok ? 1 : 0
          if (!ok) breaks[i] = t
        }
      }
    },
    lastBreak: (a, b) => breaks[idx(a, b)] ?? -Infinity,
    connected: (a, b) => now[idx(a, b)] === 1
  }
}
