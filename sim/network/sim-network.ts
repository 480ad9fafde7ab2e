/**
 * The simulator's network: a fabric that every simulated site joins to get a `Network`.
 * It models what libp2p over TCP does, on the run's Clock and Rng only, so a seed replays
 * exactly: per directed link latency, loss, duplication, reordering (independent per-frame
 * latency) and bandwidth with a bounded queue; connections that come up after a dial delay
 * and, when a link breaks, go down only after a failure-detection delay (as a real
 * connection times out); partitions of any shape, one-way blocks included; broadcasts
 * relayed hop by hop over live connections with de-duplication, so they cross a partition
 * through any honest path, as gossipsub does.
 *
 * Authentication is modelled, not bypassed: a frame's `from` is the site whose connection
 * carried it, so no hook can make a frame claim another sender; a broadcast is authentic
 * if its origin is the relaying site itself (it holds its own key) or its bytes are those
 * its origin really published (a replay); anything else fails the signature check at the
 * receiver, which rejects it and penalises the neighbour, as gossipsub's StrictSign does.
 */
import { createHash } from 'node:crypto'
import { FlotillaError } from '../../src/model/errors.ts'
import type { Clock, Timer } from '../../src/ports/clock.ts'
import { silentLogger, type Logger } from '../../src/ports/logger.ts'
import type { Network, NetworkHandlers, PeerId, TransportViolation } from '../../src/ports/network.ts'
import type { Rng } from '../../src/ports/rng.ts'
import { varintLength } from '../../src/net/frame-codec.ts'
import { GRAYLIST_THRESHOLD, INVALID_MESSAGE_DECAY, INVALID_MESSAGE_WEIGHT } from '../../src/net/gossip-params.ts'
import { createTrafficTable, type TrafficTable } from '../../src/net/traffic.ts'
import { NOTHING_TO_SETTLE } from '../engine/virtual-clock.ts'
import { sampleLatency } from './latency.ts'
import { resolveLinkModel, type LinkModel, type SimSiteInfo } from './link-model.ts'
import { createSeenCache, type SeenCache } from './seen-cache.ts'

export interface SimNetworkOptions {
  clock: Clock
  rng: Rng
  logger?: Logger
  /** Model of every directed link unless overridden. Default: 1–5 ms uniform, no loss, no limit. */
  link?: Partial<LinkModel>
  /** Per-link model from the two sites (e.g. `regionalLinks()`); asked once per directed link. */
  linkBetween?: (from: SimSiteInfo, to: SimSiteInfo) => Partial<LinkModel> | undefined
  /** How long a broken link takes to be noticed as a lost connection. Default 10 s (libp2p's ping interval). */
  failureDetectionMs?: number
  /** Dial and handshake time on top of three one-way latencies. Default 200 ms. */
  connectDelayMs?: number
  /** Largest direct frame. Default 4 MiB. */
  maxFrameBytes?: number
  /** Largest broadcast payload. Default 64 KiB. */
  maxBroadcastBytes?: number
  /** Neighbours a relaying site pushes a broadcast to at once (gossipsub's mesh degree D). Default 6; Infinity floods. */
  relayFanout?: number
  /**
   * Other neighbours a relaying site offers the broadcast to at each of its next
   * `gossipRounds` heartbeats (gossipsub's IHAVE/IWANT to Dlazy peers); those that have
   * not seen it get it after an extra round trip. Default 6; 0 turns lazy gossip off.
   */
  lazyFanout?: number
  /** Heartbeats during which a relayed broadcast is offered lazily. Default 3 (gossipsub's mcacheGossip). */
  gossipRounds?: number
  /** Gossip heartbeat period. Default 1 s. */
  heartbeatMs?: number
  /** How long a site remembers broadcast ids. Default 120 s (gossipsub's seen TTL). */
  seenTtlMs?: number
  /** Bytes added to each frame on the wire, for bandwidth (prefix, Yamux, Noise, TCP/IP). Default 90. */
  frameOverheadBytes?: number
  /** Called when a site's handler throws. Default: rethrow, so the simulator sees the bug. */
  onHandlerError?: (peer: PeerId, error: unknown) => void
}

export interface JoinOptions {
  /** Region for `linkBetween`. Default `default`. */
  region?: string
  /** This site's roster check. Default: every site is a member. */
  isMember?: (peer: PeerId) => boolean
}

/**
 * A frame as a Byzantine hook sees and rewrites it. A hook is handed a copy of the
 * payload; the payloads it returns, or gives `inject`, are taken as they are (each
 * receiver gets a copy of its own on delivery), so it must not change them afterwards.
 */
export type OutboundFrame =
  | { kind: 'direct', from: PeerId, to: PeerId, payload: Uint8Array }
  | { kind: 'broadcast', from: PeerId, to: PeerId, origin: PeerId, seq: number, payload: Uint8Array }

/**
 * Returns the frames to put on the wire instead of `frame`: `[]` drops it, `[frame]`
 * passes it. Like an observer, it runs synchronously and must start no asynchronous work.
 */
export type OutboundInterceptor = (frame: OutboundFrame) => readonly OutboundFrame[]

/**
 * Sees a frame a site sends without changing it. The payload is the fabric's own buffer,
 * not a copy: an observer must neither mutate it nor keep it past the call. It runs
 * synchronously and must start no asynchronous work (no promise, no timer of its own):
 * the engine does not wait for microtasks after fabric events that reached no site.
 */
export type OutboundObserver = (frame: Readonly<OutboundFrame>) => void

export interface SimNetworkStats {
  framesSent: number
  framesDelivered: number
  duplicated: number
  dropped: { notConnected: number, queueFull: number, lost: number, inFlight: number, oversize: number }
  broadcasts: { published: number, delivered: number, duplicates: number, rejected: number, ignored: number, forged: number, graylisted: number, gossiped: number }
  refusedConnections: number
  violations: number
}

export interface SimNetworkFabric {
  /** Adds a site (or brings a departed one back, as a fresh process) and returns its Network. */
  join (peer: PeerId, options?: JoinOptions): Network
  /** Takes a site off the network: a crash (peers notice after the detection delay) or, if graceful, a shutdown. */
  leave (peer: PeerId, options?: { graceful?: boolean }): void
  /** Cuts the link a→b and, unless one-way, b→a. A connection needs both directions, so it is lost after the detection delay. */
  block (a: PeerId, b: PeerId, options?: { oneWay?: boolean }): void
  unblock (a: PeerId, b: PeerId, options?: { oneWay?: boolean }): void
  /** Heals everything, then cuts every link between different groups; unlisted sites form one more group. */
  partition (groups: PeerId[][]): void
  /** Cuts every link of `peer`. */
  isolate (peer: PeerId): void
  /** Removes every block (bans from `disconnect` stay). */
  heal (): void
  /** Overrides the model of link a→b (and b→a unless one-way). */
  setLink (a: PeerId, b: PeerId, model: Partial<LinkModel>, options?: { oneWay?: boolean }): void
  /** Rewrites, drops or multiplies every frame `peer` sends, relayed broadcasts included. Returns a remover. */
  interceptOutbound (peer: PeerId, fn: OutboundInterceptor): () => void
  /**
   * Shows `fn` every frame `peer`'s core sends (relayed broadcasts included), before any
   * interceptor, without copying it (see `OutboundObserver`); injected frames are not
   * shown. For checkers, which only read: cheaper than an interceptor. Returns a remover.
   */
  observeOutbound (peer: PeerId, fn: OutboundObserver): () => void
  /**
   * Puts a frame on the wire as if `frame.from` had sent it, skipping its interceptor.
   * Only what a real site could send: `from` must be online and connected to `to`
   * (false otherwise). A broadcast claiming another origin is authentic only if it
   * replays exactly what that origin published. The payload is taken, not copied: the
   * caller must not change it afterwards.
   */
  inject (frame: OutboundFrame): boolean
  /** Asks every site's roster check again; connections no longer allowed are hung up. */
  recheckMembership (): void
  /** Whether `a` currently sees `b` as connected. */
  isConnected (a: PeerId, b: PeerId): boolean
  /** `observer`'s gossip score of `peer`: 0, or negative after rejected broadcasts (graylisted below -80). */
  gossipScore (observer: PeerId, peer: PeerId): number
  /** Connection attempts `peer` has refused (non-members, peers in back-off). */
  refusals (peer: PeerId): number
  /** Joined sites, online or not, sorted. */
  peers (): PeerId[]
  stats (): SimNetworkStats
}

type PairState = 'down' | 'connecting' | 'up' | 'failing'

interface Pair {
  a: PeerId
  b: PeerId
  state: PairState
  /** Bumped whenever the connection is made or lost; frames of an old epoch are dropped. */
  epoch: number
  timer: Timer | undefined
}

interface Site {
  peer: PeerId
  region: string
  isMember: (peer: PeerId) => boolean
  online: boolean
  incarnation: number
  handlers: NetworkHandlers | undefined
  sees: Set<PeerId>
  /** `sees` sorted, rebuilt after a change (relaying reads it per message). */
  seesSorted: PeerId[] | undefined
  /** Outgoing links by destination, each with its pair. */
  out: Map<PeerId, DirLink>
  traffic: TrafficTable
  seen: SeenCache
  /** Relayed broadcasts still offered lazily at this site's next gossip heartbeats (gossipsub's mcache window). */
  offers: LazyOffer[]
  /** Whether a gossip heartbeat of this incarnation is scheduled. */
  heartbeatArmed: boolean
  seq: number
  bans: Map<PeerId, number>
  penalties: Map<PeerId, { value: number, atMs: number }>
  refused: number
}

interface LazyOffer {
  frame: WireFrame
  id: string
  /** Neighbours that already have it or were offered it. */
  offered: Set<PeerId>
  roundsLeft: number
}

interface DirLink {
  model: LinkModel
  nextFreeAt: number
  pair: Pair
}

interface WireFrame {
  kind: 'direct' | 'broadcast'
  from: PeerId
  to: PeerId
  payload: Uint8Array
  origin: PeerId
  seq: number
  /** Known authentic (no hook touched it); undefined when it must be checked. */
  authentic: boolean | undefined
  /**
   * Whether the payload buffer belongs to this frame alone (copied when it was sent), so
   * its last delivery may hand it over instead of copying it again. Broadcast payloads
   * are shared by every frame of a publication and are always copied on delivery.
   */
  owned: boolean
  /** Deliveries still to come (2 when duplicated); the last one may hand an owned payload over. */
  pending: number
}

const MAX_REMEMBERED_PUBLICATIONS = 1_000_000
const MAX_SEEN_PER_SITE = 200_000

export function createSimNetwork (options: SimNetworkOptions): SimNetworkFabric {
  const { clock, rng } = options
  const logger = (options.logger ?? silentLogger).child({ component: 'sim-network' })
  const failureDetectionMs = options.failureDetectionMs ?? 10_000
  const connectDelayMs = options.connectDelayMs ?? 200
  const maxFrameBytes = options.maxFrameBytes ?? 4 * 1024 * 1024
  const maxBroadcastBytes = options.maxBroadcastBytes ?? 64 * 1024
  const relayFanout = options.relayFanout ?? 6
  const lazyFanout = options.lazyFanout ?? 6
  const gossipRounds = options.gossipRounds ?? 3
  const heartbeatMs = options.heartbeatMs ?? 1_000
  const seenTtlMs = options.seenTtlMs ?? 120_000
  const overhead = options.frameOverheadBytes ?? 90
  const onHandlerError = options.onHandlerError ?? ((_peer: PeerId, e: unknown) => { throw e })

  const sites = new Map<PeerId, Site>()
  let order: PeerId[] = []
  const pairs = new Map<string, Pair>()
  const blocks = new Set<string>()
  const linkOverrides = new Map<string, Partial<LinkModel>>()
  const interceptors = new Map<PeerId, OutboundInterceptor>()
  const observers = new Map<PeerId, OutboundObserver[]>()
  /** Digests of what each origin really published under each message id. */
  const publications = new Map<string, string[]>()

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

  const site = (peer: PeerId): Site => {
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
      l = { model: resolveLinkModel(options.link, between, linkOverrides.get(key)), nextFreeAt: 0, pair: pairOf(from, to) }
      f.out.set(to, l)
    }
    return l
  }

  const sortedSees = (s: Site): PeerId[] => {
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

  const guard = (s: Site, what: string, fn: (h: NetworkHandlers) => void): void => {
    const h = s.handlers
    if (h === undefined) return
    reachedSite = true
    try { fn(h) } catch (e) {
      logger.error({ peer: s.peer, handler: what, err: (e as Error).message }, 'site handler threw')
      onHandlerError(s.peer, e)
    }
  }

  // ---- connections -------------------------------------------------------

  const banned = (s: Site, peer: PeerId): boolean => {
    const until = s.bans.get(peer)
    if (until === undefined) return false
    if (now() < until) return true
    s.bans.delete(peer)
    return false
  }

  const reachable = (p: Pair): boolean => {
    const sa = sites.get(p.a)
    const sb = sites.get(p.b)
    return sa !== undefined && sb !== undefined && sa.online && sb.online &&
      !blocks.has(dirKey(p.a, p.b)) && !blocks.has(dirKey(p.b, p.a))
  }

  const admitted = (p: Pair): boolean => {
    const sa = site(p.a)
    const sb = site(p.b)
    return sa.isMember(p.b) && sb.isMember(p.a) && !banned(sa, p.b) && !banned(sb, p.a)
  }

  const setSees = (s: Site, peer: PeerId, value: boolean): void => {
    if (!s.online || s.sees.has(peer) === value) return
    s.seesSorted = undefined
    if (value) {
      s.sees.add(peer)
      guard(s, 'onPeerUp', (h) => { h.onPeerUp(peer) })
    } else {
      s.sees.delete(peer)
      guard(s, 'onPeerDown', (h) => { h.onPeerDown(peer) })
    }
  }

  const goUp = (p: Pair): void => {
    p.state = 'up'
    p.epoch++
    setSees(site(p.a), p.b, true)
    setSees(site(p.b), p.a, true)
  }

  /** The connection is gone; `initiator` (if any) hung up and knows at once, the other side one latency later. */
  const goDown = (p: Pair, initiator?: PeerId): void => {
    p.timer?.cancel()
    p.timer = undefined
    p.state = 'down'
    p.epoch++
    const epoch = p.epoch
    if (initiator === undefined) {
      setSees(site(p.a), p.b, false)
      setSees(site(p.b), p.a, false)
      return
    }
    const other = initiator === p.a ? p.b : p.a
    setSees(site(initiator), other, false)
    const delay = sampleLatency(link(initiator, other).model.latency, rng)
    clock.setTimer(delay, () => {
      if (p.epoch === epoch && p.state !== 'up') setSees(site(other), initiator, false)
    })
  }

  /**
   * Re-judges a pair after anything that could change it. A connection that is no longer
   * admitted (roster, ban) is hung up at once by the refusing side; one whose link broke
   * keeps its state until the failure-detection delay has passed, and survives if the
   * link heals before then, as a TCP connection rides out a short outage.
   */
  const reconcile = (p: Pair, hangUpBy?: PeerId): void => {
    const physical = reachable(p)
    const wanted = physical && admitted(p)
    switch (p.state) {
      case 'up':
      case 'failing':
        if (wanted) {
          if (p.state === 'failing') { p.timer?.cancel(); p.timer = undefined; p.state = 'up' }
          return
        }
        if (hangUpBy !== undefined || physical) { goDown(p, hangUpBy ?? refuser(p)); return }
        if (p.state === 'failing') return
        p.state = 'failing'
        p.timer = clock.setTimer(failureDetectionMs, () => {
          p.timer = undefined
          if (p.state !== 'failing') return
          if (reachable(p) && admitted(p)) p.state = 'up'
          else goDown(p)
        })
        return
      case 'connecting':
        if (!wanted) {
          p.timer?.cancel()
          p.timer = undefined
          p.state = 'down'
          if (hangUpBy === undefined) countRefusal(p, physical)
        }
        return
      case 'down':
        if (!wanted) {
          if (hangUpBy === undefined) countRefusal(p, physical)
          return
        }
        p.state = 'connecting'
        p.timer = clock.setTimer(connectDelayMs + 3 * sampleLatency(link(p.a, p.b).model.latency, rng), () => {
          p.timer = undefined
          if (p.state !== 'connecting') return
          if (reachable(p) && admitted(p)) goUp(p)
          else { p.state = 'down'; countRefusal(p, reachable(p)) }
        })
    }
  }

  /** The side whose roster check or ban refuses the other, for who learns of a hang-up first. */
  const refuser = (p: Pair): PeerId => {
    const sa = site(p.a)
    return !sa.isMember(p.b) || banned(sa, p.b) ? p.a : p.b
  }

  const countRefusal = (p: Pair, physical: boolean): void => {
    if (!physical) return
    const sa = site(p.a)
    const sb = site(p.b)
    for (const [me, other] of [[sa, sb], [sb, sa]] as const) {
      if (!me.isMember(other.peer)) {
        stats.refusedConnections++
        me.refused++
        logger.warn({ peer: me.peer, refused: other.peer, reason: 'not-a-member' }, 'connection refused')
      } else if (banned(me, other.peer)) {
        stats.refusedConnections++
        me.refused++
        logger.debug({ peer: me.peer, refused: other.peer, reason: 'backoff' }, 'connection refused')
      }
    }
  }

  const reconcileAll = (peer?: PeerId): void => {
    for (const x of order) {
      for (const y of order) {
        if (x >= y) continue
        if (peer !== undefined && x !== peer && y !== peer) continue
        reconcile(pairOf(x, y))
      }
    }
  }

  // ---- frames --------------------------------------------------------------

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
    const m = l.model
    const t = now()
    const bytes = f.payload.byteLength + overhead
    const start = Math.max(t, l.nextFreeAt)
    const backlog = Number.isFinite(m.bandwidthBytesPerSec) ? (start - t) * m.bandwidthBytesPerSec / 1000 : 0
    if (backlog + bytes > m.queueBytes) {
      counters.dropped++
      stats.dropped.queueFull++
      return
    }
    const serialiseMs = Number.isFinite(m.bandwidthBytesPerSec) ? bytes * 1000 / m.bandwidthBytesPerSec : 0
    l.nextFreeAt = start + serialiseMs
    counters.framesOut++
    counters.bytesOut += f.payload.byteLength + (f.kind === 'direct' ? varintLength(f.payload.byteLength) : 0)
    stats.framesSent++
    // always draw both, so changing one probability does not shift every later sample
    const lost = rng.nextFloat() < m.loss
    const twice = rng.nextFloat() < m.duplicate
    if (lost) { stats.dropped.lost++; return }
    if (twice) stats.duplicated++
    const epoch = p.epoch
    const receiverIncarnation = site(f.to).incarnation
    f.pending = twice ? 2 : 1
    for (let copy = twice ? 2 : 1; copy > 0; copy--) {
      const delay = start - t + serialiseMs + sampleLatency(m.latency, rng)
      clock.setTimer(delay, quietUnlessSiteRan(() => { arrive(f, p, epoch, receiverIncarnation) }))
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
    receiveBroadcast(r, f)
  }

  const violation = (r: Site, peer: PeerId, kind: TransportViolation): void => {
    stats.violations++
    logger.warn({ peer: r.peer, offender: peer, violation: kind }, 'peer broke a transport limit')
    guard(r, 'onViolation', (h) => { h.onViolation?.(peer, kind) })
  }

  // ---- broadcast -----------------------------------------------------------

  const penaltyOf = (r: Site, peer: PeerId): number => {
    const p = r.penalties.get(peer)
    if (p === undefined) return 0
    const t = now()
    p.value *= Math.pow(INVALID_MESSAGE_DECAY, (t - p.atMs) / 1000)
    p.atMs = t
    return p.value
  }

  const scoreOf = (r: Site, peer: PeerId): number => {
    const v = penaltyOf(r, peer)
    return v === 0 ? 0 : INVALID_MESSAGE_WEIGHT * v * v
  }

  const penalise = (r: Site, peer: PeerId): void => {
    const value = penaltyOf(r, peer) + 1
    r.penalties.set(peer, { value, atMs: now() })
  }

  const receiveBroadcast = (r: Site, f: WireFrame): void => {
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
    const verdict = r.isMember(f.origin) ? judge(r, f) : 'reject'
    if (verdict === 'reject') { b.rejected++; penalise(r, via); return }
    if (verdict === 'ignore') { b.ignored++; return }
    b.delivered++
    guard(r, 'onBroadcast', (h) => { h.onBroadcast(f.origin, via, f.payload.slice()) })
    if (!r.online) return
    relay(r, { ...f, authentic: true })
  }

  /** Eager push to a random `relayFanout` of the neighbours, then lazy gossip to others. */
  const relay = (r: Site, f: WireFrame): void => {
    const candidates = sortedSees(r).filter((p) => p !== f.from && p !== f.origin)
    const eager = candidates.length > relayFanout ? pick(candidates, relayFanout) : candidates
    for (const to of eager) emit({ ...f, from: r.peer, to })
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
  const armHeartbeat = (r: Site): void => {
    if (r.heartbeatArmed) return
    r.heartbeatArmed = true
    const incarnation = r.incarnation
    clock.setTimer(heartbeatMs, quietUnlessSiteRan(() => {
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

  const offerLazily = (r: Site, offer: LazyOffer): void => {
    const { frame: f, id, offered } = offer
    const incarnation = r.incarnation
    const rest = sortedSees(r).filter((p) => !offered.has(p))
    for (const to of rest.length > lazyFanout ? pick(rest, lazyFanout) : rest) {
      offered.add(to)
      // IHAVE out, IWANT back, only from a neighbour that has not seen it yet
      if (sites.get(to)?.seen.has(id, now()) !== false) continue
      const roundTrip = sampleLatency(link(r.peer, to).model.latency, rng) + sampleLatency(link(to, r.peer).model.latency, rng)
      clock.setTimer(roundTrip, quietUnlessSiteRan(() => {
        if (!r.online || r.incarnation !== incarnation || !r.sees.has(to)) return
        stats.broadcasts.gossiped++
        emit({ ...f, from: r.peer, to })
      }))
    }
  }

  const judge = (r: Site, f: WireFrame): 'accept' | 'reject' | 'ignore' => {
    const h = r.handlers
    if (h?.validateBroadcast === undefined) return 'accept'
    reachedSite = true
    try { return h.validateBroadcast(f.origin, f.payload.slice()) } catch (e) {
      logger.error({ peer: r.peer, handler: 'validateBroadcast', err: (e as Error).message }, 'site handler threw')
      onHandlerError(r.peer, e)
      return 'ignore'
    }
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

  // ---- sites ---------------------------------------------------------------

  const networkFor = (s: Site): Network => {
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
      broadcast (payload) {
        if (!alive()) return
        if (payload.byteLength > maxBroadcastBytes) {
          logger.warn({ peer: s.peer, bytes: payload.byteLength, maxBroadcastBytes }, 'broadcast above the size limit not sent')
          return
        }
        const seq = ++s.seq
        const data = payload.slice()
        remember(s.peer, seq, data)
        s.seen.checkAndAdd(`${s.peer}/${seq}`, now())
        stats.broadcasts.published++
        for (const to of sortedSees(s).slice()) {
          emit({ kind: 'broadcast', from: s.peer, to, payload: data, origin: s.peer, seq, authentic: true, owned: false, pending: 0 })
        }
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
      return scoreOf(site(observer), peer)
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
