/**
 * Paces the bulk frames of reconciliation (a sync reply and the changes that follow it)
 * to what the transport is ready to take. The transport's per-peer send queue is bounded
 * and drops what does not fit; a responder serving several documents to a joining site
 * at once overflowed it, and each lost frame stalled its session until the time-out (a
 * 10-second hole in the bootstrap). Here each peer gets a FIFO of frames that are encoded
 * only when handed over, released while the transport holds less than `budgetBytes` for
 * that peer, and retried on a short timer otherwise. Small control frames (digests,
 * requests, heartbeats) do not pass through it, so bulk data never delays them.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { Network, PeerId } from '../ports/network.ts'

export interface OutboundPacerOptions {
  clock: Clock
  network: Pick<Network, 'send' | 'backlog'>
  /** Bytes the transport may hold for one peer before the next frame waits. */
  budgetBytes: number
  /** Frames waiting per peer before new ones are refused (the memory bound). */
  maxPendingFrames: number
  /** How long to wait before looking at the transport's backlog again. */
  retryMs?: number
  /** A frame refused because the peer's FIFO was full. */
  onDropped?: (peer: PeerId) => void
}

export interface OutboundPacer {
  /** Queues a frame for `peer`; `encode` runs when the frame is handed to the transport. */
  send (peer: PeerId, encode: () => Uint8Array): void
  /** Frames waiting for `peer` (not yet handed to the transport). */
  pending (peer: PeerId): number
  /** The peer went away: its waiting frames are discarded. */
  forget (peer: PeerId): void
  /** Discards every waiting frame (the replicator stopped). */
  stop (): void
}

interface PeerLane {
  frames: Array<() => Uint8Array>
  head: number
  timer: Timer | undefined
}

export function createOutboundPacer (o: OutboundPacerOptions): OutboundPacer {
  const retryMs = o.retryMs ?? 10
  const lanes = new Map<PeerId, PeerLane>()

  const backlog = (peer: PeerId): number => o.network.backlog?.(peer) ?? 0

  function flush (peer: PeerId, lane: PeerLane): void {
    lane.timer = undefined
    if (lanes.get(peer) !== lane) return
    while (lane.head < lane.frames.length) {
      if (backlog(peer) >= o.budgetBytes) {
        lane.timer = o.clock.setTimer(retryMs, () => { flush(peer, lane) })
        return
      }
      const encode = lane.frames[lane.head]!
      lane.frames[lane.head++] = RELEASED
      o.network.send(peer, encode())
      if (lane.head > 64 && lane.head * 2 > lane.frames.length) { lane.frames = lane.frames.slice(lane.head); lane.head = 0 }
    }
    lanes.delete(peer)
  }

  return {
    send (peer, encode) {
      let lane = lanes.get(peer)
      if (lane === undefined) {
        // Nothing waits for this peer: hand the frame over at once if the transport has room.
        if (backlog(peer) < o.budgetBytes) { o.network.send(peer, encode()); return }
        lanes.set(peer, lane = { frames: [], head: 0, timer: undefined })
      }
      if (lane.frames.length - lane.head >= o.maxPendingFrames) { o.onDropped?.(peer); return }
      lane.frames.push(encode)
      if (lane.timer === undefined) lane.timer = o.clock.setTimer(retryMs, () => { flush(peer, lane) })
    },
    pending (peer) {
      const lane = lanes.get(peer)
      return lane === undefined ? 0 : lane.frames.length - lane.head
    },
    forget (peer) {
      lanes.get(peer)?.timer?.cancel()
      lanes.delete(peer)
    },
    stop () {
      for (const lane of lanes.values()) lane.timer?.cancel()
      lanes.clear()
    }
  }
}

const RELEASED = (): Uint8Array => new Uint8Array(0)
