/**
 * The simulated network's gossip model (gossipsub as `src/net` runs it): a site publishes
 * to every connected neighbour (flood publishing); a receiver checks the signature (a
 * broadcast is authentic if its origin relays it itself or its bytes are what the origin
 * really published), drops what it has seen, asks its validator, then pushes the message
 * on to `relayFanout` random neighbours (the mesh degree D) and offers it lazily
 * (IHAVE/IWANT) to `lazyFanout` more at each of its next `gossipRounds` heartbeats.
 * Invalid messages cost the neighbour score (P4), and a graylisted neighbour is ignored.
 * Every random choice comes from the fabric's Rng, in a fixed order.
 */
import { createHash } from 'node:crypto'
import type { Clock } from '../../src/ports/clock.ts'
import type { Logger } from '../../src/ports/logger.ts'
import type { NetworkHandlers, PeerId } from '../../src/ports/network.ts'
import type { Rng } from '../../src/ports/rng.ts'
import { GRAYLIST_THRESHOLD, INVALID_MESSAGE_DECAY, INVALID_MESSAGE_WEIGHT } from '../../src/net/gossip-params.ts'
import { sampleLatency } from './latency.ts'
import type { DirLink, LazyOffer, SimNetworkStats, SiteState, WireFrame } from './fabric-types.ts'

const MAX_REMEMBERED_PUBLICATIONS = 1_000_000

export interface GossipSettings {
  relayFanout: number
  lazyFanout: number
  gossipRounds: number
  heartbeatMs: number
  maxBroadcastBytes: number
}

/** What the gossip model uses of the fabric. */
export interface GossipFabric {
  clock: Clock
  rng: Rng
  logger: Logger
  stats: SimNetworkStats
  sites: ReadonlyMap<PeerId, SiteState>
  now (): number
  sortedSees (s: SiteState): PeerId[]
  link (from: PeerId, to: PeerId): DirLink
  /** Puts a frame out as its `from` site (observers, interceptor, wire). */
  emit (f: WireFrame): void
  /** Runs a site handler, reporting that site code ran; a throw goes to the fabric's handler. */
  guard (s: SiteState, what: string, fn: (h: NetworkHandlers) => void): void
  /** Like `guard`, for a handler whose answer is needed; undefined when the site has no such handler or it threw. */
  ask<T> (s: SiteState, what: string, fn: (h: NetworkHandlers) => T | undefined): T | undefined
  /** Wraps an engine timer callback so it tells the engine whether site code ran. */
  quietUnlessSiteRan (fn: () => void): () => unknown
}

export interface GossipRelay {
  /**
   * A site publishes `payload` (already checked against the size limit): to every
   * neighbour, or, when the caller also sends it on every direct link (`meshOnly`), to
   * `relayFanout` of them (its mesh), offering it lazily to the rest.
   */
  publish (s: SiteState, payload: Uint8Array, meshOnly?: boolean): void
  /** A broadcast frame arrived at `r` (counted by the caller). */
  receive (r: SiteState, f: WireFrame): void
  /** `observer`'s gossip score of `peer`. */
  scoreOf (observer: SiteState, peer: PeerId): number
}

export function createGossipRelay (fabric: GossipFabric, settings: GossipSettings): GossipRelay {
  const { clock, rng, logger, stats, sites, now } = fabric
  const { relayFanout, lazyFanout, gossipRounds, heartbeatMs, maxBroadcastBytes } = settings
  /** Digests of what each origin really published under each message id. */
  const publications = new Map<string, string[]>()

  const digest = (payload: Uint8Array): string => createHash('sha256').update(payload).digest('base64')

  const remember = (origin: PeerId, seq: number, payload: Uint8Array): void => {
    const id = `${origin}/${seq}`
    const d = digest(payload)
    const known = publications.get(id)
    if (known === undefined) {
      if (publications.size >= MAX_REMEMBERED_PUBLICATIONS) publications.delete(publications.keys().next().value as string)
      publications.set(id, [d])
    } else if (!known.includes(d)) {
      // the origin signed two different messages under one id: both are authentic
      known.push(d)
    }
  }

  const isAuthentic = (f: WireFrame): boolean => {
    if (f.authentic !== undefined) return f.authentic
    if (f.origin === f.from) { remember(f.origin, f.seq, f.payload); return true }
    return publications.get(`${f.origin}/${f.seq}`)?.includes(digest(f.payload)) === true
  }

  const penaltyOf = (r: SiteState, peer: PeerId): number => {
    const p = r.penalties.get(peer)
    if (p === undefined) return 0
    const t = now()
    p.value *= Math.pow(INVALID_MESSAGE_DECAY, (t - p.atMs) / 1000)
    p.atMs = t
    return p.value
  }

  const scoreOf = (r: SiteState, peer: PeerId): number => {
    const v = penaltyOf(r, peer)
    return v === 0 ? 0 : INVALID_MESSAGE_WEIGHT * v * v
  }

  const penalise = (r: SiteState, peer: PeerId): void => {
    const value = penaltyOf(r, peer) + 1
    r.penalties.set(peer, { value, atMs: now() })
  }

  /** `data`: the receiver's copy of the payload, which its handler then gets too (as libp2p hands one `msg.data` to both). */
  const judge = (r: SiteState, f: WireFrame, data: Uint8Array): 'accept' | 'reject' | 'ignore' => {
    if (r.handlers?.validateBroadcast === undefined) return 'accept'
    return fabric.ask(r, 'validateBroadcast', (h) => h.validateBroadcast?.(f.origin, data)) ?? 'ignore'
  }

  /** `k` of `items` chosen with the run's Rng (partial Fisher-Yates), in a stable order. */
  const pick = (items: PeerId[], k: number): PeerId[] => {
    const a = items.slice()
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng.nextFloat() * (a.length - i))
      const tmp = a[i] as PeerId
      a[i] = a[j] as PeerId
      a[j] = tmp
    }
    return a.slice(0, k).sort()
  }

  /** Eager push to a random `relayFanout` of the neighbours, then lazy gossip to others. */
  const relay = (r: SiteState, f: WireFrame): void => {
    const candidates = fabric.sortedSees(r).filter((p) => p !== f.from && p !== f.origin)
    const eager = candidates.length > relayFanout ? pick(candidates, relayFanout) : candidates
    for (const to of eager) fabric.emit({ ...f, from: r.peer, to })
    if (lazyFanout <= 0 || gossipRounds <= 0 || eager.length === candidates.length) return
    r.offers.push({ frame: f, id: `${f.origin}/${f.seq}`, offered: new Set<PeerId>([f.from, f.origin, ...eager]), roundsLeft: gossipRounds })
    armHeartbeat(r)
  }

  /**
   * The site's gossip heartbeat, armed only while it has broadcasts to offer: at each,
   * every offered broadcast goes (IHAVE) to `lazyFanout` more neighbours, for
   * `gossipRounds` heartbeats. One engine event per site and heartbeat, as gossipsub
   * batches its IHAVEs, rather than one per relayed message and round.
   */
  const armHeartbeat = (r: SiteState): void => {
    if (r.heartbeatArmed) return
    r.heartbeatArmed = true
    const incarnation = r.incarnation
    clock.setTimer(heartbeatMs, fabric.quietUnlessSiteRan(() => {
      if (r.incarnation !== incarnation) return
      r.heartbeatArmed = false
      if (!r.online) { r.offers = []; return }
      const due = r.offers
      r.offers = []
      for (const offer of due) {
        offerLazily(r, offer)
        if (--offer.roundsLeft > 0) r.offers.push(offer)
      }
      if (r.offers.length > 0) armHeartbeat(r)
    }))
  }

  const offerLazily = (r: SiteState, offer: LazyOffer): void => {
    const { frame: f, id, offered } = offer
    const incarnation = r.incarnation
    const rest = fabric.sortedSees(r).filter((p) => !offered.has(p))
    for (const to of rest.length > lazyFanout ? pick(rest, lazyFanout) : rest) {
      offered.add(to)
      // IHAVE out, IWANT back, only from a neighbour that has not seen it yet
      if (sites.get(to)?.seen.has(id, now()) !== false) continue
      const roundTrip = sampleLatency(fabric.link(r.peer, to).model.latency, rng) + sampleLatency(fabric.link(to, r.peer).model.latency, rng)
      clock.setTimer(roundTrip, fabric.quietUnlessSiteRan(() => {
        if (!r.online || r.incarnation !== incarnation || !r.sees.has(to)) return
        stats.broadcasts.gossiped++
        fabric.emit({ ...f, from: r.peer, to })
      }))
    }
  }

  return {
    publish (s, payload, meshOnly = false) {
      const seq = ++s.seq
      const data = payload.slice()
      remember(s.peer, seq, data)
      s.seen.checkAndAdd(`${s.peer}/${seq}`, now())
      stats.broadcasts.published++
      const frame: WireFrame = { kind: 'broadcast', from: s.peer, to: s.peer, payload: data, origin: s.peer, seq, authentic: true, owned: false, pending: 0 }
      if (meshOnly) { relay(s, frame); return }
      for (const to of fabric.sortedSees(s).slice()) fabric.emit({ ...frame, to })
    },

    receive (r, f) {
      const b = stats.broadcasts
      const via = f.from
      if (scoreOf(r, via) < GRAYLIST_THRESHOLD) { b.graylisted++; return }
      if (f.payload.byteLength > maxBroadcastBytes || !isAuthentic(f)) {
        b.forged++
        penalise(r, via)
        logger.debug({ peer: r.peer, via, origin: f.origin }, 'broadcast failed its signature check')
        return
      }
      if (r.seen.checkAndAdd(`${f.origin}/${f.seq}`, now())) { b.duplicates++; return }
      // One copy per receiver, for its validator and its handler alike.
      const data = f.payload.slice()
      const verdict = r.isMember(f.origin) ? judge(r, f, data) : 'reject'
      if (verdict === 'reject') { b.rejected++; penalise(r, via); return }
      if (verdict === 'ignore') { b.ignored++; return }
      b.delivered++
      fabric.guard(r, 'onBroadcast', (h) => { h.onBroadcast(f.origin, via, data) })
      if (!r.online) return
      relay(r, { ...f, authentic: true })
    },

    scoreOf
  }
}
