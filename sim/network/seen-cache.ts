/**
 * The broadcast de-duplication memory of one simulated site, like gossipsub's seen
 * cache: ids are remembered for a fixed time (so a replay after that is delivered
 * again, as on the real network) and the cache is bounded in size.
 */

export interface SeenCache {
  /** True if `id` was seen within the TTL; otherwise remembers it and returns false. */
  checkAndAdd (id: string, nowMs: number): boolean
  /** True if `id` was seen within the TTL; remembers nothing. */
  has (id: string, nowMs: number): boolean
  readonly size: number
}

export function createSeenCache (ttlMs: number, maxEntries: number): SeenCache {
  // insertion order is expiry order, as the TTL is constant
  const expiry = new Map<string, number>()
  const prune = (nowMs: number): void => {
    for (const [id, at] of expiry) {
      if (at > nowMs && expiry.size < maxEntries) break
      expiry.delete(id)
    }
  }
  return {
    get size () { return expiry.size },
    has (id, nowMs) {
      const at = expiry.get(id)
      return at !== undefined && at > nowMs
    },
    checkAndAdd (id, nowMs) {
      prune(nowMs)
      const at = expiry.get(id)
      if (at !== undefined && at > nowMs) return true
      // re-insert so the map stays in expiry order
      expiry.delete(id)
      expiry.set(id, nowMs + ttlMs)
      return false
    }
  }
}
