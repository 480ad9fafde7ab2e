/**
 * Direct frames on `/flotilla/sync/1.0.0`: each site keeps one long-lived outbound stream
 * per peer and writes length-prefixed frames to it from a bounded queue, so `send` never
 * blocks and a slow peer costs bounded memory; the peer reads our frames from its inbound
 * side of that stream. Streams are one-way. Inbound limits (frame size, streams per peer)
 * reset only the offending stream and are reported as violations.
 */
import type { Stream } from '@libp2p/interface'
import type { Logger } from '../ports/logger.ts'
import type { PeerId, TransportViolation } from '../ports/network.ts'
import { isFlotillaError } from '../model/errors.ts'
import { createFrameDecoder, encodeFrame, varintLength } from './frame-codec.ts'
import { createSendQueue, type SendQueue } from './send-queue.ts'
import type { TrafficTable } from './traffic.ts'

export const SYNC_PROTOCOL = '/flotilla/sync/1.0.0'

export interface DirectFramesOptions {
  maxFrameBytes: number
  maxQueueFrames: number
  maxQueueBytes: number
  maxInboundStreams: number
  traffic: TrafficTable
  logger: Logger
  /** Opens a new outbound sync stream to a connected peer. */
  openStream (peer: PeerId): Promise<Stream>
  onFrame (peer: PeerId, payload: Uint8Array): void
  onViolation (peer: PeerId, violation: TransportViolation): void
}

export interface DirectFrames {
  /** Queues a frame for `peer`; drops and counts it when oversized or the queue is full. */
  send (peer: PeerId, payload: Uint8Array): void
  /** Takes over an inbound sync stream from `peer`. */
  accept (peer: PeerId, stream: Stream): void
  /** The peer went away: discards its queue (counted as dropped) and its streams. */
  forget (peer: PeerId): void
  /** Frames and bytes waiting for `peer`. */
  queued (peer: PeerId): { frames: number, bytes: number }
  close (): void
}

interface Outbound {
  queue: SendQueue
  stream: Stream | undefined
  pumping: boolean
}

export function createDirectFrames (o: DirectFramesOptions): DirectFrames {
  const outbound = new Map<PeerId, Outbound>()
  const inbound = new Map<PeerId, Set<Stream>>()
  let closed = false

  const violation = (peer: PeerId, stream: Stream, kind: TransportViolation, err: Error): void => {
    o.traffic.of(peer).dropped++
    o.logger.warn({ peer, violation: kind, err: err.message }, 'peer broke a sync stream limit; stream reset')
    stream.abort(err)
    o.onViolation(peer, kind)
  }

  const dropQueued = (peer: PeerId, state: Outbound): void => {
    const n = state.queue.clear()
    if (n > 0) o.traffic.of(peer).dropped += n
  }

  const watchOutbound = (peer: PeerId, state: Outbound, stream: Stream): void => {
    stream.addEventListener('close', () => { if (state.stream === stream) state.stream = undefined })
    // the peer never writes on our outbound stream; anything it sends is a breach
    stream.addEventListener('message', () => {
      violation(peer, stream, 'unexpected-data', new Error('data received on an outbound sync stream'))
    })
  }

  const pump = async (peer: PeerId, state: Outbound): Promise<void> => {
    state.pumping = true
    try {
      while (!closed && state.queue.frames > 0) {
        let stream = state.stream
        if (stream === undefined || stream.writeStatus !== 'writable') {
          try {
            stream = await o.openStream(peer)
          } catch (e) {
            o.logger.debug({ peer, err: (e as Error).message }, 'cannot open a sync stream; queued frames dropped')
            dropQueued(peer, state)
            return
          }
          if (closed || outbound.get(peer) !== state) { stream.abort(new Error('peer forgotten')); return }
          state.stream = stream
          watchOutbound(peer, state, stream)
        }
        const frame = state.queue.shift() as Uint8Array
        const counters = o.traffic.of(peer)
        let ready: boolean
        try {
          ready = stream.send(encodeFrame(frame))
        } catch (e) {
          counters.dropped++
          o.logger.debug({ peer, err: (e as Error).message }, 'sync stream write failed; frame dropped')
          state.stream = undefined
          continue
        }
        counters.framesOut++
        counters.bytesOut += frame.byteLength + varintLength(frame.byteLength)
        if (!ready) {
          try { await stream.onDrain() } catch { state.stream = undefined }
        }
      }
    } finally {
      state.pumping = false
    }
  }

  return {
    send (peer, payload) {
      if (closed) return
      const counters = o.traffic.of(peer)
      if (payload.byteLength > o.maxFrameBytes) {
        counters.dropped++
        o.logger.warn({ peer, bytes: payload.byteLength, maxFrameBytes: o.maxFrameBytes }, 'frame above the size limit not sent')
        return
      }
      let state = outbound.get(peer)
      if (state === undefined) {
        state = { queue: createSendQueue(o.maxQueueFrames, o.maxQueueBytes), stream: undefined, pumping: false }
        outbound.set(peer, state)
      }
      // Not copied: the port's callers hand the buffer over (a push to every peer shares one).
      if (!state.queue.push(payload)) {
        counters.dropped++
        return
      }
      if (!state.pumping) {
        const s = state
        pump(peer, s).catch((e: unknown) => { o.logger.error({ peer, err: (e as Error).message }, 'sync send loop failed'); dropQueued(peer, s) })
      }
    },

    accept (peer, stream) {
      if (closed) { stream.abort(new Error('network stopped')); return }
      let streams = inbound.get(peer)
      if (streams === undefined) { streams = new Set(); inbound.set(peer, streams) }
      if (streams.size >= o.maxInboundStreams) {
        violation(peer, stream, 'too-many-streams', new Error(`more than ${o.maxInboundStreams} concurrent sync streams`))
        return
      }
      streams.add(stream)
      const decoder = createFrameDecoder(o.maxFrameBytes)
      const counters = o.traffic.of(peer)
      stream.addEventListener('close', () => {
        const set = inbound.get(peer)
        set?.delete(stream)
        if (set?.size === 0) inbound.delete(peer)
      })
      stream.addEventListener('message', (evt) => {
        let frames: Uint8Array[]
        try {
          frames = decoder.push(evt.data)
        } catch (e) {
          const kind: TransportViolation = isFlotillaError(e, 'frame-too-large') ? 'frame-too-large' : 'malformed-frame'
          violation(peer, stream, kind, e as Error)
          return
        }
        for (const frame of frames) {
          counters.framesIn++
          counters.bytesIn += frame.byteLength + varintLength(frame.byteLength)
          o.onFrame(peer, frame)
        }
      })
      // we never write on an inbound stream: close our half so the stream is freed
      // as soon as the peer closes its own
      stream.close().catch(() => {})
    },

    forget (peer) {
      const state = outbound.get(peer)
      if (state !== undefined) {
        dropQueued(peer, state)
        state.stream?.abort(new Error('peer disconnected'))
        outbound.delete(peer)
      }
      for (const s of inbound.get(peer) ?? []) s.abort(new Error('peer disconnected'))
      inbound.delete(peer)
    },

    queued (peer) {
      const q = outbound.get(peer)?.queue
      return { frames: q?.frames ?? 0, bytes: q?.bytes ?? 0 }
    },

    close () {
      closed = true
      for (const peer of [...outbound.keys()]) this.forget(peer)
      for (const peer of [...inbound.keys()]) this.forget(peer)
    }
  }
}
