/**
 * The simulator's network: a fabric that every simulated site joins to get a `Network`.
 * It models what libp2p over TCP does, on the run's Clock and Rng only, so a seed replays
 * exactly: per directed link latency, loss, duplication, frames kept in order as on one
 * TCP connection (or, by `reorder`, let overtake each other), and bandwidth with a bounded
 * queue; connections that come up after a dial delay and, when a link breaks, go down
 * only after a failure-detection delay (as a real connection times out); partitions of
 * any shape, one-way blocks included; broadcasts relayed hop by hop over live connections
 * with de-duplication, so they cross a partition through any honest path, as gossipsub does.
 *
 * Authentication is modelled, not bypassed: a frame's `from` is the site whose connection
 * carried it, so no hook can make a frame claim another sender; a broadcast is authentic
 * if its origin is the relaying site itself (it holds its own key) or its bytes are those
 * its origin really published (a replay); anything else fails the signature check at the
 * receiver, which rejects it and penalises the neighbour, as gossipsub's StrictSign does.
 * This module keeps the sites, links and frames; `connections.ts` the connection states
 * and `gossip-relay.ts` publishing, relaying and lazy gossip.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import type { Network, NetworkHandlers, PeerId, TransportViolation } from '../../src/ports/network.ts'
import { varintLength } from '../../src/net/frame-codec.ts'
import { defaultMeshParams } from '../../src/net/gossip-params.ts'
import { createTrafficTable } from '../../src/net/traffic.ts'
import { NOTHING_TO_SETTLE } from '../engine/virtual-clock.ts'
import type { DirLink, OutboundFrame, OutboundInterceptor, OutboundObserver, Pair, SimNetworkFabric, SimNetworkOptions, SimNetworkStats, SiteState, WireFrame } from './fabric-types.ts'
import { createConnections } from './connections.ts'
import { createGossipRelay } from './gossip-relay.ts'
import { deliverOnLink, newLinkTiming } from './link-delivery.ts'
import { resolveLinkModel, type LinkModel } from './link-model.ts'
import { createSeenCache } from './seen-cache.ts'

export type { JoinOptions, OutboundFrame, OutboundInterceptor, OutboundObserver, SimNetworkFabric, SimNetworkOptions, SimNetworkStats } from './fabric-types.ts'

const MAX_SEEN_PER_SITE = 200_000

export function createSimNetwork (options: SimNetworkOptions): SimNetworkFabric {
  const { clock, rng } = options
  const logger = (options.logger ?? silentLogger).child({ component: 'sim-network' })
  const failureDetectionMs = options.failureDetectionMs ?? 10_000
  // A bad default link is refused here, not at the first frame that uses it.
  resolveLinkModel(options.link)
  const connectDelayMs = options.connectDelayMs ?? 200
  const maxFrameBytes = options.maxFrameBytes ?? 4 * 1024 * 1024
  const maxBroadcastBytes = options.maxBroadcastBytes ?? 64 * 1024
  const relayFanout = options.relayFanout ?? defaultMeshParams.D
  const lazyFanout = options.lazyFanout ?? defaultMeshParams.Dlazy
  const gossipRounds = options.gossipRounds ?? 3
  const heartbeatMs = options.heartbeatMs ?? 1_000
  const seenTtlMs = options.seenTtlMs ?? 120_000
  const overhead = options.frameOverheadBytes ?? 90
  const onHandlerError = options.onHandlerError ?? ((_peer: PeerId, e: unknown) => { throw e })

  const sites = new Map<PeerId, SiteState>()
  let order: PeerId[] = []
  const pairs = new Map<string, Pair>()
  const blocks = new Set<string>()
  const linkOverrides = new Map<string, Partial<LinkModel>>()
  const interceptors = new Map<PeerId, OutboundInterceptor>()
  const observers = new Map<PeerId, OutboundObserver[]>()

  const stats: SimNetworkStats = {
    framesSent: 0,
    framesDelivered: 0,
    duplicated: 0,
    dropped: { notConnected: 0, queueFull: 0, lost: 0, inFlight: 0, oversize: 0 },
    broadcasts: { published: 0, delivered: 0, duplicates: 0, rejected: 0, ignored: 0, forged: 0, graylisted: 0, gossiped: 0 },
    refusedConnections: 0,
    violations: 0
  }

  const now = (): number => clock.monotonicMs()
  const dirKey = (from: PeerId, to: PeerId): string => `${from}>${to}`
  const pairKey = (x: PeerId, y: PeerId): string => x < y ? `${x}|${y}` : `${y}|${x}`

  const site = (peer: PeerId): SiteState => {
    const s = sites.get(peer)
    if (s === undefined) throw new FlotillaError('not-found', `no simulated site ${peer}`, 'Join the site to the fabric first.')
    return s
  }

  const pairOf = (x: PeerId, y: PeerId): Pair => {
    const key = pairKey(x, y)
    let p = pairs.get(key)
    if (p === undefined) {
      p = { a: x < y ? x : y, b: x < y ? y : x, state: 'down', epoch: 0, timer: undefined }
      pairs.set(key, p)
    }
    return p
  }

  const link = (from: PeerId, to: PeerId): DirLink => {
    const f = site(from)
    let l = f.out.get(to)
    if (l === undefined) {
      const key = dirKey(from, to)
      const t = site(to)
      const between = options.linkBetween?.({ peer: f.peer, region: f.region }, { peer: t.peer, region: t.region })
      l = { model: resolveLinkModel(options.link, between, linkOverrides.get(key)), ...newLinkTiming(), pair: pairOf(from, to) }
      f.out.set(to, l)
    }
    return l
  }

  const sortedSees = (s: SiteState): PeerId[] => {
    s.seesSorted ??= [...s.sees].sort()
    return s.seesSorted
  }

  /**
   * Set whenever site code runs; a fabric event (an arrival, a lazy-gossip round) that
   * ran none tells the engine it has nothing to settle (see `NOTHING_TO_SETTLE`).
   */
  let reachedSite = false
  /** Runs `fn` as an engine timer callback that reports whether it reached site code. */
  const quietUnlessSiteRan = (fn: () => void) => (): unknown => {
    reachedSite = false
    fn()
    return reachedSite ? undefined : NOTHING_TO_SETTLE
  }

  const guard = (s: SiteState, what: string, fn: (h: NetworkHandlers) => void): void => {
    const h = s.handlers
    if (h === undefined) return
    reachedSite = true
    try { fn(h) } catch (e) {
      logger.error({ peer: s.peer, handler: what, err: (e as Error).message }, 'site handler threw')
      onHandlerError(s.peer, e)
    }
  }

  const ask = <T>(s: SiteState, what: string, fn: (h: NetworkHandlers) => T | undefined): T | undefined => {
    const h = s.handlers
    if (h === undefined) return undefined
    reachedSite = true
    try { return fn(h) } catch (e) {
      logger.error({ peer: s.peer, handler: what, err: (e as Error).message }, 'site handler threw')
      onHandlerError(s.peer, e)
      return undefined
    }
  }

  const connections = createConnections({
    clock, rng, logger, stats, sites, blocks, failureDetectionMs, connectDelayMs, now, site, pairOf, link, dirKey, guard, order: () => order
  })
  const { admitted, reconcile, refuser, reconcileAll, goDown } = connections

  // ---- frames --------------------------------------------------------------

  const toPublic = (f: WireFrame): OutboundFrame => f.kind === 'direct'
    ? { kind: 'direct', from: f.from, to: f.to, payload: f.payload.slice() }
    : { kind: 'broadcast', from: f.from, to: f.to, origin: f.origin, seq: f.seq, payload: f.payload.slice() }

  const fromPublic = (o: OutboundFrame, original: WireFrame | undefined): WireFrame => {
    const origin = o.kind === 'broadcast' ? o.origin : o.from
    const seq = o.kind === 'broadcast' ? o.seq : 0
    const unchanged = original !== undefined && original.kind === o.kind && original.origin === origin &&
      original.seq === seq && Buffer.from(original.payload.buffer, original.payload.byteOffset, original.payload.byteLength).equals(o.payload)
    // Taken as it is (see OutboundFrame): the hook may send one buffer many times, and
    // a shared buffer is copied for each receiver on delivery.
    return {
      kind: o.kind,
      from: o.from,
      to: o.to,
      payload: o.payload,
      origin,
      seq,
      authentic: o.kind === 'direct' ? true : unchanged ? original.authentic : undefined,
      owned: false,
      pending: 0
    }
  }

  /** A site puts a frame out: observers see it, then its interceptor (if any) decides what actually goes. */
  const emit = (f: WireFrame): void => {
    const seeing = observers.get(f.from)
    if (seeing !== undefined) {
      const view: OutboundFrame = f.kind === 'direct'
        ? { kind: 'direct', from: f.from, to: f.to, payload: f.payload }
        : { kind: 'broadcast', from: f.from, to: f.to, origin: f.origin, seq: f.seq, payload: f.payload }
      for (const fn of seeing) fn(view)
    }
    const hook = interceptors.get(f.from)
    if (hook === undefined) { wire(f); return }
    const out = hook(toPublic(f))
    for (const o of out) {
      if (o.from !== f.from) {
        throw new FlotillaError('input-invalid', `an interceptor of ${f.from} produced a frame from ${o.from}`,
          'A frame\'s sender is authenticated by the transport (Noise); a site can only send as itself.')
      }
      wire(fromPublic(o, f))
    }
  }

  const wire = (f: WireFrame): void => {
    const sender = sites.get(f.from)
    if (sender === undefined || !sender.online) return
    const counters = sender.traffic.of(f.to)
    if (!sender.sees.has(f.to) || !sites.has(f.to)) {
      counters.dropped++
      stats.dropped.notConnected++
      return
    }
    const l = link(f.from, f.to)
    const p = l.pair
    const t = now()
    const epoch = p.epoch
    const delivery = deliverOnLink(l.model, l, { now: t, bytes: f.payload.byteLength + overhead, epoch }, rng)
    if (delivery.fate === 'queue-full') {
      counters.dropped++
      stats.dropped.queueFull++
      return
    }
    counters.framesOut++
    counters.bytesOut += f.payload.byteLength + (f.kind === 'direct' ? varintLength(f.payload.byteLength) : 0)
    stats.framesSent++
    if (delivery.fate === 'lost') { stats.dropped.lost++; return }
    if (delivery.arrivals.length > 1) stats.duplicated++
    const receiverIncarnation = site(f.to).incarnation
    f.pending = delivery.arrivals.length
    for (const at of delivery.arrivals) {
      clock.setTimer(at - t, quietUnlessSiteRan(() => { arrive(f, p, epoch, receiverIncarnation) }))
    }
  }

  const arrive = (f: WireFrame, p: Pair, epoch: number, incarnation: number): void => {
    f.pending--
    const r = sites.get(f.to)
    if (r === undefined || !r.online || r.incarnation !== incarnation || p.epoch !== epoch ||
        (p.state !== 'up' && p.state !== 'failing') || blocks.has(dirKey(f.from, f.to))) {
      stats.dropped.inFlight++
      return
    }
    const counters = r.traffic.of(f.from)
    if (f.kind === 'direct') {
      if (f.payload.byteLength > maxFrameBytes) {
        // the receiver reads the length prefix, resets the stream and reports the peer
        counters.dropped++
        stats.dropped.oversize++
        violation(r, f.from, 'frame-too-large')
        return
      }
      counters.framesIn++
      counters.bytesIn += f.payload.byteLength + varintLength(f.payload.byteLength)
      stats.framesDelivered++
      // the receiver may keep or change what it is given: a buffer still needed here is copied
      const payload = f.owned && f.pending === 0 ? f.payload : f.payload.slice()
      guard(r, 'onMessage', (h) => { h.onMessage(f.from, payload) })
      return
    }
    counters.framesIn++
    counters.bytesIn += f.payload.byteLength
    stats.framesDelivered++
    gossip.receive(r, f)
  }

  const violation = (r: SiteState, peer: PeerId, kind: TransportViolation): void => {
    stats.violations++
    logger.warn({ peer: r.peer, offender: peer, violation: kind }, 'peer broke a transport limit')
    guard(r, 'onViolation', (h) => { h.onViolation?.(peer, kind) })
  }

  const gossip = createGossipRelay(
    { clock, rng, logger, stats, sites, now, sortedSees, link, emit, guard, ask, quietUnlessSiteRan },
    { relayFanout, lazyFanout, gossipRounds, heartbeatMs, maxBroadcastBytes })

  // ---- sites ---------------------------------------------------------------

  const networkFor = (s: SiteState): Network => {
    const incarnation = s.incarnation
    const alive = (): boolean => s.online && s.incarnation === incarnation
    return {
      localPeer: s.peer,
      handle (h) {
        if (!alive()) return () => {}
        s.handlers = h
        for (const peer of sortedSees(s).slice()) guard(s, 'onPeerUp', (x) => { x.onPeerUp(peer) })
        return () => { if (s.handlers === h && s.incarnation === incarnation) s.handlers = undefined }
      },
      send (to, payload) {
        if (!alive()) return
        if (payload.byteLength > maxFrameBytes) {
          s.traffic.of(to).dropped++
          stats.dropped.oversize++
          logger.warn({ peer: s.peer, to, bytes: payload.byteLength, maxFrameBytes }, 'frame above the size limit not sent')
          return
        }
        emit({ kind: 'direct', from: s.peer, to, payload: payload.slice(), origin: s.peer, seq: 0, authentic: true, owned: true, pending: 0 })
      },
      broadcast (payload, o?: { alsoSentDirect?: boolean }) {
        if (!alive()) return
        if (payload.byteLength > maxBroadcastBytes) {
          logger.warn({ peer: s.peer, bytes: payload.byteLength, maxBroadcastBytes }, 'broadcast above the size limit not sent')
          return
        }
        gossip.publish(s, payload, o?.alsoSentDirect === true)
      },
      connectedPeers () {
        return alive() ? sortedSees(s).slice() : []
      },
      disconnect (peer, reason, backoffMs) {
        if (!alive() || !sites.has(peer) || peer === s.peer) return
        const until = now() + Math.max(0, backoffMs)
        s.bans.set(peer, Math.max(until, s.bans.get(peer) ?? 0))
        logger.info({ peer: s.peer, disconnected: peer, reason, backoffMs }, 'disconnecting peer')
        const p = pairOf(s.peer, peer)
        reconcile(p, s.peer)
        clock.setTimer(Math.max(0, backoffMs), () => { reconcile(p) })
      },
      traffic () {
        return s.traffic.snapshot((p) => s.sees.has(p))
      }
    }
  }

  const setBlock = (a: PeerId, b: PeerId, blocked: boolean, oneWay: boolean): void => {
    const keys = oneWay ? [dirKey(a, b)] : [dirKey(a, b), dirKey(b, a)]
    for (const k of keys) {
      if (blocked) blocks.add(k)
      else blocks.delete(k)
    }
    if (sites.has(a) && sites.has(b)) reconcile(pairOf(a, b))
  }

  return {
    join (peer, o = {}) {
      let s = sites.get(peer)
      if (s?.online === true) throw new FlotillaError('already-exists', `site ${peer} is already on the simulated network`, 'Call leave() before joining it again.')
      if (s === undefined) {
        s = {
          peer,
          region: o.region ?? 'default',
          isMember: o.isMember ?? (() => true),
          online: true,
          incarnation: 0,
          handlers: undefined,
          sees: new Set(),
          seesSorted: undefined,
          out: new Map(),
          traffic: createTrafficTable(),
          seen: createSeenCache(seenTtlMs, MAX_SEEN_PER_SITE),
          offers: [],
          heartbeatArmed: false,
          seq: 0,
          bans: new Map(),
          penalties: new Map(),
          refused: 0
        }
        sites.set(peer, s)
        order = [...sites.keys()].sort()
      } else {
        // a restarted process: fresh memory, same key (the publication counter stays
        // monotonic, as libp2p seeds its seqno from the clock)
        s.online = true
        s.incarnation++
        s.region = o.region ?? s.region
        s.isMember = o.isMember ?? s.isMember
        s.handlers = undefined
        s.sees = new Set()
        s.seesSorted = undefined
        s.traffic = createTrafficTable()
        s.seen = createSeenCache(seenTtlMs, MAX_SEEN_PER_SITE)
        s.offers = []
        s.heartbeatArmed = false
        s.bans = new Map()
        s.penalties = new Map()
        // connections of the old process are dead; peers that have not noticed yet keep
        // seeing us up (libp2p reports per peer, and our new connection replaces the old)
        for (const other of order) {
          if (other === peer) continue
          const p = pairOf(peer, other)
          if (p.state === 'up' || p.state === 'failing') {
            p.timer?.cancel()
            p.timer = undefined
            p.state = 'down'
            p.epoch++
          }
        }
      }
      const net = networkFor(s)
      reconcileAll(peer)
      return net
    },

    leave (peer, o = {}) {
      const s = site(peer)
      if (!s.online) return
      s.online = false
      s.handlers = undefined
      s.sees.clear()
      s.seesSorted = undefined
      for (const other of order) {
        if (other === peer) continue
        const p = pairOf(peer, other)
        if (o.graceful === true && (p.state === 'up' || p.state === 'failing')) goDown(p, peer)
        else reconcile(p)
      }
    },

    block (a, b, o = {}) { setBlock(a, b, true, o.oneWay === true) },
    unblock (a, b, o = {}) { setBlock(a, b, false, o.oneWay === true) },

    partition (groups) {
      blocks.clear()
      const groupOf = new Map<PeerId, number>()
      groups.forEach((g, i) => { for (const peer of g) groupOf.set(peer, i) })
      for (const x of order) {
        for (const y of order) {
          if (x !== y && (groupOf.get(x) ?? -1) !== (groupOf.get(y) ?? -1)) blocks.add(dirKey(x, y))
        }
      }
      logger.info({ groups }, 'partition')
      reconcileAll()
    },

    isolate (peer) {
      for (const other of order) {
        if (other !== peer) { blocks.add(dirKey(peer, other)); blocks.add(dirKey(other, peer)) }
      }
      reconcileAll(peer)
    },

    heal () {
      blocks.clear()
      logger.info({}, 'heal')
      reconcileAll()
    },

    setLink (a, b, model, o = {}) {
      const keys = o.oneWay === true ? [dirKey(a, b)] : [dirKey(a, b), dirKey(b, a)]
      for (const k of keys) linkOverrides.set(k, { ...linkOverrides.get(k), ...model })
      sites.get(a)?.out.delete(b)
      if (o.oneWay !== true) sites.get(b)?.out.delete(a)
    },

    interceptOutbound (peer, fn) {
      interceptors.set(peer, fn)
      return () => { if (interceptors.get(peer) === fn) interceptors.delete(peer) }
    },

    observeOutbound (peer, fn) {
      const list = [...observers.get(peer) ?? [], fn]
      observers.set(peer, list)
      return () => {
        const rest = (observers.get(peer) ?? []).filter((x) => x !== fn)
        if (rest.length === 0) observers.delete(peer)
        else observers.set(peer, rest)
      }
    },

    inject (frame) {
      const s = sites.get(frame.from)
      if (s === undefined || !s.online || !s.sees.has(frame.to)) return false
      wire(fromPublic(frame, undefined))
      return true
    },

    recheckMembership () {
      for (const x of order) {
        for (const y of order) {
          if (x >= y) continue
          const p = pairOf(x, y)
          if ((p.state === 'up' || p.state === 'failing') && !admitted(p)) reconcile(p, refuser(p))
          else reconcile(p)
        }
      }
    },

    isConnected (a, b) {
      return sites.get(a)?.sees.has(b) === true
    },

    gossipScore (observer, peer) {
      return gossip.scoreOf(site(observer), peer)
    },

    refusals (peer) {
      return site(peer).refused
    },

    peers () {
      return order.slice()
    },

    stats () {
      return structuredClone(stats)
    }
  }
}
