/**
 * What one directed link does to a frame it is given: the sender's bounded serialisation
 * queue, loss, duplication, and when each copy arrives — after the frame before it, as
 * on one TCP connection, unless the link lets it overtake (`LinkModel.reorder`). Only
 * arithmetic and the run's Rng, so the fabric decides what a frame's fate means for
 * sites and counters.
 */
import type { Rng } from '../../src/ports/rng.ts'
import { sampleLatency } from './latency.ts'
import type { LinkModel } from './link-model.ts'

/** What a link remembers between frames (monotonic ms of the fabric's clock). */
export interface LinkTiming {
  /** When the sender's queue has serialised everything given to it so far. */
  nextFreeAt: number
  /** When the link's last in-order frame arrives, on the connection of `orderedEpoch`. */
  lastArrivalAt: number
  orderedEpoch: number
}

export function newLinkTiming (): LinkTiming {
  return { nextFreeAt: 0, lastArrivalAt: 0, orderedEpoch: -1 }
}

/** How far apart two in-order frames of a link arrive at the least (far above rounding). */
const ORDER_GAP_MS = 1e-6

export type LinkDelivery =
  /** The sender's queue had no room: dropped before it left, nothing drawn. */
  | { fate: 'queue-full' }
  | { fate: 'lost' }
  /** One arrival time, or two when duplicated; absolute, in the fabric clock's ms. */
  | { fate: 'sent', arrivals: number[] }

export interface FrameOnLink {
  /** The fabric's clock now. */
  now: number
  /** Bytes on the wire, framing included. */
  bytes: number
  /** The connection the frame travels on: order is kept per connection. */
  epoch: number
}

export function deliverOnLink (m: LinkModel, timing: LinkTiming, frame: FrameOnLink, rng: Rng): LinkDelivery {
  const { now, bytes, epoch } = frame
  const limited = Number.isFinite(m.bandwidthBytesPerSec)
  const start = Math.max(now, timing.nextFreeAt)
  const backlog = limited ? (start - now) * m.bandwidthBytesPerSec / 1000 : 0
  if (backlog + bytes > m.queueBytes) return { fate: 'queue-full' }
  const serialiseMs = limited ? bytes * 1000 / m.bandwidthBytesPerSec : 0
  timing.nextFreeAt = start + serialiseMs
  // always draw all three, so changing one probability does not shift every later sample
  const lost = rng.nextFloat() < m.loss
  const twice = rng.nextFloat() < m.duplicate
  const overtakes = rng.nextFloat() < m.reorder
  if (lost) return { fate: 'lost' }
  if (timing.orderedEpoch !== epoch) { timing.orderedEpoch = epoch; timing.lastArrivalAt = 0 }
  const arrivals: number[] = []
  for (let copy = twice ? 2 : 1; copy > 0; copy--) {
    let arrival = start + serialiseMs + sampleLatency(m.latency, rng)
    // A frame that does not overtake waits for the one before it (TCP's head-of-line
    // blocking), and arrives a nanosecond after it: two equal times could round into
    // either order on their way to the engine's timers, which count from different sends.
    if (!overtakes) timing.lastArrivalAt = arrival = Math.max(arrival, timing.lastArrivalAt + ORDER_GAP_MS)
    arrivals.push(arrival)
  }
  return { fate: 'sent', arrivals }
}
