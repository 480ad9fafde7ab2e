/**
 * A tiny deterministic network and clock for unit tests of protocols above the Network
 * port: frames queue until `settle()` delivers them (and any they cause), timers fire
 * when `advance()` moves time past them. Links can be cut and restored.
 */
import type { Clock, Timer } from '../../src/ports/clock.ts'
import { asPeerId, type Network, type NetworkHandlers, type PeerId, type PeerTraffic } from '../../src/ports/network.ts'

export interface ManualClock extends Clock {
  advance (ms: number): Promise<void>
}

export function manualClock (): ManualClock {
  let now = 0
  let seq = 0
  const timers: Array<{ at: number, seq: number, fn: () => void, cancelled: boolean }> = []
  return {
    monotonicMs: () => now,
    wallMs: () => 1_700_000_000_000 + now,
    setTimer (ms, fn): Timer {
      const t = { at: now + Math.max(0, ms), seq: seq++, fn, cancelled: false }
      timers.push(t)
      return { cancel () { t.cancelled = true } }
    },
    async advance (ms) {
      const end = now + ms
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
        const next = timers.find((t) => !t.cancelled && t.at <= end)
        if (next === undefined) break
        timers.splice(timers.indexOf(next), 1)
        now = next.at
        next.fn()
        await new Promise((resolve) => setImmediate(resolve))
      }
      now = end
    }
  }
}

export interface ManualFabric {
  join (name: string): Network
  connect (a: string, b: string): void
  cut (a: string, b: string): void
  /** Queues raw bytes from `from` to `to`, as a misbehaving peer would send them. */
  rawSend (from: string, to: string, bytes: Uint8Array): void
  /** Delivers queued frames (and what they cause) until nothing is in flight. */
  settle (maxRounds?: number): Promise<number>
  delivered: number
  bytes: number
}

export function manualFabric (): ManualFabric {
  const nodes = new Map<PeerId, { handlers?: NetworkHandlers, traffic: Map<PeerId, PeerTraffic> }>()
  const links = new Set<string>()
  const queue: Array<() => void> = []
  const key = (a: PeerId, b: PeerId): string => a < b ? `${a}|${b}` : `${b}|${a}`
  const fabric: ManualFabric = {
    delivered: 0,
    bytes: 0,
    join (name) {
      const self = asPeerId(name)
      const node = { traffic: new Map<PeerId, PeerTraffic>() } as { handlers?: NetworkHandlers, traffic: Map<PeerId, PeerTraffic> }
      nodes.set(self, node)
      const count = (peer: PeerId): PeerTraffic => {
        let t = node.traffic.get(peer)
        if (t === undefined) node.traffic.set(peer, t = { peer, connected: true, bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, dropped: 0 })
        return t
      }
      return {
        localPeer: self,
        handle (h) { node.handlers = h; return () => { delete node.handlers } },
        send (peer, payload) {
          if (!links.has(key(self, peer))) { count(peer).dropped++; return }
          count(peer).bytesOut += payload.length
          const copy = Uint8Array.from(payload)
          queue.push(() => {
            if (!links.has(key(self, peer))) return
            const target = nodes.get(peer)
            fabric.delivered++
            fabric.bytes += copy.length
            const t = target?.traffic
            if (t !== undefined) {
              let tr = t.get(self)
              if (tr === undefined) t.set(self, tr = { peer: self, connected: true, bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, dropped: 0 })
              tr.bytesIn += copy.length
            }
            target?.handlers?.onMessage(self, copy)
          })
        },
        broadcast (payload) {
          // Flood over links with de-duplication, as gossip would.
          const seen = new Set<PeerId>([self])
          const frontier: Array<{ at: PeerId, from: PeerId }> = [{ at: self, from: self }]
          while (frontier.length > 0) {
            const { at } = frontier.shift()!
            for (const other of nodes.keys()) {
              if (seen.has(other) || !links.has(key(at, other))) continue
              seen.add(other)
              frontier.push({ at: other, from: at })
              const via = at
              queue.push(() => {
                const h = nodes.get(other)?.handlers
                if (h === undefined) return
                if ((h.validateBroadcast?.(self, payload) ?? 'accept') !== 'accept') return
                h.onBroadcast(self, via, payload)
              })
            }
          }
        },
        connectedPeers: () => [...nodes.keys()].filter((p) => p !== self && links.has(key(self, p))).sort(),
        disconnect (peer) { fabric.cut(self, peer) },
        traffic: () => [...node.traffic.values()]
      }
    },
    connect (a, b) {
      const pa = asPeerId(a); const pb = asPeerId(b)
      if (links.has(key(pa, pb))) return
      links.add(key(pa, pb))
      queue.push(() => { nodes.get(pa)?.handlers?.onPeerUp(pb); nodes.get(pb)?.handlers?.onPeerUp(pa) })
    },
    cut (a, b) {
      const pa = asPeerId(a); const pb = asPeerId(b)
      if (!links.delete(key(pa, pb))) return
      queue.push(() => { nodes.get(pa)?.handlers?.onPeerDown(pb); nodes.get(pb)?.handlers?.onPeerDown(pa) })
    },
    rawSend (from, to, bytes) {
      queue.push(() => { nodes.get(asPeerId(to))?.handlers?.onMessage(asPeerId(from), bytes) })
    },
    async settle (maxRounds = 100_000) {
      let n = 0
      for (; n < maxRounds; n++) {
        // Let async handlers (store ingest) finish before deciding the network is idle.
        for (let i = 0; i < 5 && queue.length === 0; i++) await new Promise((resolve) => setImmediate(resolve))
        const next = queue.shift()
        if (next === undefined) break
        next()
      }
      return n
    }
  }
  return fabric
}
