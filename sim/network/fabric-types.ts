/**
 * The simulated network's types: what callers configure and see (options, frames as
 * hooks see them, statistics, the fabric), and the state the fabric keeps per site,
 * connection and frame, shared by the fabric and its gossip model.
 */
import type { Clock, Timer } from '../../src/ports/clock.ts'
import type { Logger } from '../../src/ports/logger.ts'
import type { Network, NetworkHandlers, PeerId } from '../../src/ports/network.ts'
import type { Rng } from '../../src/ports/rng.ts'
import type { TrafficTable } from '../../src/net/traffic.ts'
import type { LinkModel, SimSiteInfo } from './link-model.ts'
import type { SeenCache } from './seen-cache.ts'
import type { LinkTiming } from './link-delivery.ts'

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
  /** Neighbours a relaying site pushes a broadcast to at once (gossipsub's mesh degree D). Default 3, as `src/net` runs (`defaultMeshParams.D`); Infinity floods. */
  relayFanout?: number
  /**
   * Other neighbours a relaying site offers the broadcast to at each of its next
   * `gossipRounds` heartbeats (gossipsub's IHAVE/IWANT to Dlazy peers); those that have
   * not seen it get it after an extra round trip. Default 1, as `src/net` runs (`defaultMeshParams.Dlazy`); 0 turns lazy gossip off.
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

export type PairState = 'down' | 'connecting' | 'up' | 'failing'

export interface Pair {
  a: PeerId
  b: PeerId
  state: PairState
  /** Bumped whenever the connection is made or lost; frames of an old epoch are dropped. */
  epoch: number
  timer: Timer | undefined
}

/** A joined site as the fabric keeps it (one per peer, across its incarnations). */
export interface SiteState {
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

export interface LazyOffer {
  frame: WireFrame
  id: string
  /** Neighbours that already have it or were offered it. */
  offered: Set<PeerId>
  roundsLeft: number
}

export interface DirLink extends LinkTiming {
  model: LinkModel
  pair: Pair
}

export interface WireFrame {
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

