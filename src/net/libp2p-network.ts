/**
 * The production Network: libp2p over TCP with Noise and Yamux, identify, and gossipsub
 * for the one federation topic. The libp2p private key is derived from the site's ed25519
 * seed, so the peer id is the site key and the Noise handshake authenticates the site.
 * Only roster members may connect; direct frames travel on `/flotilla/sync/1.0.0`;
 * lost members are re-dialled with capped backoff; received broadcasts are relayed after
 * a short random delay (deferred-relay.ts). Peer up/down events follow libp2p's
 * per-peer (not per-connection) transitions.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { gossipsub, TopicValidatorResult, type GossipSub, type GossipsubMessage, type Message } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { Connection, IdentifyResult, Libp2p, PeerId as Libp2pPeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { KeyPair } from '../identity/keys.ts'
import { peerIdFromPublicKey } from '../identity/peer-id.ts'
import { FlotillaError } from '../model/errors.ts'
import { createCryptoRng } from '../platform/crypto-rng.ts'
import { createSystemClock } from '../platform/system-clock.ts'
import type { Clock, Timer } from '../ports/clock.ts'
import { silentLogger, type Logger } from '../ports/logger.ts'
import { asPeerId, type BroadcastOptions, type Network, type NetworkHandlers, type PeerId } from '../ports/network.ts'
import type { Rng } from '../ports/rng.ts'
import { backoffPolicy, type BackoffPolicy } from './backoff.ts'
import { createDeferredRelay } from './deferred-relay.ts'
import { createDirectFrames, SYNC_PROTOCOL } from './direct-frames.ts'
import { defaultMeshParams, DEFAULT_TOPIC, gossipsubOptions, type MeshParams } from './gossip-params.ts'
import { createMembershipGater, type RefusalReason } from './membership-gater.ts'
import { createRedialer } from './redialer.ts'
import { createTrafficTable } from './traffic.ts'

export { SYNC_PROTOCOL }

export interface Libp2pNetworkOptions {
  /** The site's key pair; the libp2p peer id is derived from it. */
  keys: KeyPair
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/7001` (`/tcp/0` for an ephemeral port). */
  listen: string[]
  /** Multiaddrs dialled at start and re-dialled until reached, normally ending in `/p2p/<peer id>`. */
  bootstrap?: string[]
  /** Roster check, asked at every connection (so the roster may change); the local site need not be included. */
  isMember (peer: PeerId): boolean
  logger?: Logger
  /** Timers for re-dials and back-offs. Default: the system clock. */
  clock?: Clock
  /** Jitter of re-dials. Default: node:crypto. */
  rng?: Rng
  /** The federation gossip topic. Default `/flotilla/federation/1`. */
  topic?: string
  /** Largest direct frame, sent or received. Default 4 MiB (config `limits.maxFrameBytes`). */
  maxFrameBytes?: number
  /** Largest broadcast payload, sent or received. Default 64 KiB. */
  maxBroadcastBytes?: number
  /** Frames waiting per peer before new ones are dropped. Default 1024. */
  maxQueueFrames?: number
  /** Bytes waiting per peer before new frames are dropped. Default 2 × maxFrameBytes. */
  maxQueueBytes?: number
  /** Concurrent inbound sync streams per peer. Default 16 (config `limits.maxConcurrentStreams`). */
  maxInboundStreams?: number
  /** Re-dial backoff. Default 500 ms doubling to 30 s, half jittered. */
  redial?: Partial<BackoffPolicy>
  /** Gossipsub mesh degree, heartbeat and lazy gossip. Default D 3, Dlo 2, Dhi 6, 1 s, Dlazy 1 (see gossip-params.ts). */
  mesh?: Partial<MeshParams>
  /** Time allowed for one dial including the handshakes. Default 10 s. */
  dialTimeoutMs?: number
  /** New inbound connections per second accepted from one host before the handshake. Default 20. */
  inboundConnectionsPerSecond?: number
  /**
   * Longest random delay before a received broadcast is relayed to mesh neighbours, so
   * that a neighbour which relays it first spares us sending it back (see
   * deferred-relay.ts). Delivery here is never delayed. Default 200 ms; 0 relays at once.
   */
  relayDelayMs?: number
}

export interface Libp2pNetworkStats {
  /** Connections refused by the gater, by reason. */
  refused: Record<RefusalReason, number>
  /** Transport-rule breaches by peers (oversized frames, too many streams, ...). */
  violations: number
  /** Broadcasts not published (oversized, or publishing failed). */
  broadcastsDropped: number
}

export interface Libp2pNetwork extends Network {
  /** Creates and starts the libp2p node, then dials the bootstrap addresses. */
  start (): Promise<void>
  /** Hangs up on everyone and releases the listening sockets. Peer-down events are not fired. */
  stop (): Promise<void>
  /** Addresses peers can dial, each ending in `/p2p/<local peer id>`. Empty before start. */
  listenAddresses (): string[]
  stats (): Libp2pNetworkStats
  /** The gossipsub score of a connected peer (negative after rejected broadcasts). */
  gossipScore (peer: PeerId): number
  /** Peers in our gossipsub mesh for the federation topic. */
  meshPeers (): PeerId[]
  /** Peers known to be subscribed to the federation topic. */
  topicPeers (): PeerId[]
  /** Hangs up on connected peers that are no longer members (call after a roster change). */
  recheckMembership (): void
  /** Pending re-dials, for tests and metrics. */
  pendingRedials (): Array<{ target: string, attempts: number }>
  /** The underlying node, for diagnostics and tests. Throws before start. */
  readonly libp2p: Libp2p<{ identify: Identify, pubsub: GossipSub }>
}

const ADDR_TARGET = 'addr:'
const DEFAULT_RELAY_DELAY_MS = 200

/** Methods of the gossipsub implementation that its exported interface does not declare. */
interface GossipsubInternals {
  getScore (peer: string): number
  getMeshPeers (topic: string): string[]
  /** With `asyncValidation`, lets an accepted message be relayed (to peers that did not send it meanwhile). */
  reportMessageValidationResult (msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void
  publish (topic: string, data: Uint8Array, opts: { floodPublish: boolean }): Promise<{ recipients: Libp2pPeerId[] }>
}

function internals (pubsub: GossipSub): GossipsubInternals {
  return pubsub as unknown as GossipsubInternals
}

export function createLibp2pNetwork (options: Libp2pNetworkOptions): Libp2pNetwork {
  const localPeer = peerIdFromPublicKey(options.keys.publicKey)
  const logger = (options.logger ?? silentLogger).child({ component: 'net', site: localPeer })
  const clock = options.clock ?? createSystemClock()
  const rng = options.rng ?? createCryptoRng()
  const topic = options.topic ?? DEFAULT_TOPIC
  const maxFrameBytes = positive('maxFrameBytes', options.maxFrameBytes ?? 4 * 1024 * 1024)
  const maxBroadcastBytes = positive('maxBroadcastBytes', options.maxBroadcastBytes ?? 64 * 1024)
  const maxInboundStreams = positive('maxInboundStreams', options.maxInboundStreams ?? 16)
  const dialTimeoutMs = positive('dialTimeoutMs', options.dialTimeoutMs ?? 10_000)
  const mesh: MeshParams = { ...defaultMeshParams, ...options.mesh }
  const relayDelayMs = options.relayDelayMs ?? DEFAULT_RELAY_DELAY_MS
  if (!Number.isFinite(relayDelayMs) || relayDelayMs < 0) {
    throw new FlotillaError('input-invalid', `'relayDelayMs' must be a non-negative number: received ${relayDelayMs}`, 'Fix the network options.')
  }
  const policy = backoffPolicy(options.redial)

  let node: Libp2p<{ identify: Identify, pubsub: GossipSub }> | undefined
  let running = false
  let stopped = false
  let handlers: NetworkHandlers | undefined
  const up = new Set<PeerId>()
  const upWaiters = new Map<PeerId, Set<() => void>>()
  const backoffUntil = new Map<PeerId, number>()
  const banTimers = new Map<PeerId, Timer>()
  const bootstrapAddrs = new Map<PeerId, string[]>()
  const traffic = createTrafficTable()
  const stats: Libp2pNetworkStats = { refused: { 'not-a-member': 0, backoff: 0 }, violations: 0, broadcastsDropped: 0 }

  const call = (what: string, fn: (h: NetworkHandlers) => void): void => {
    if (handlers === undefined) return
    try { fn(handlers) } catch (e) { logger.error({ err: (e as Error).message, handler: what }, 'network handler threw') }
  }

  const isBackedOff = (peer: PeerId): boolean => {
    const until = backoffUntil.get(peer)
    if (until === undefined) return false
    if (clock.monotonicMs() < until) return true
    backoffUntil.delete(peer)
    return false
  }

  const direct = createDirectFrames({
    maxFrameBytes,
    maxQueueFrames: positive('maxQueueFrames', options.maxQueueFrames ?? 1024),
    maxQueueBytes: positive('maxQueueBytes', options.maxQueueBytes ?? 2 * maxFrameBytes),
    maxInboundStreams,
    traffic,
    logger,
    openStream: async (peer) => {
      const conn = requireNode().getConnections(peerIdFromString(peer)).find((c) => c.status === 'open')
      if (conn === undefined) throw new FlotillaError('site-unreachable', `no open connection to ${peer}`, 'The peer went away; frames resume once it reconnects.')
      return await conn.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(dialTimeoutMs) })
    },
    onFrame: (peer, payload) => { call('onMessage', (h) => { h.onMessage(peer, payload) }) },
    onViolation: (peer, violation) => {
      stats.violations++
      call('onViolation', (h) => { h.onViolation?.(peer, violation) })
    }
  })

  const redialer = createRedialer({
    clock,
    rng,
    policy,
    logger,
    dial: async (target) => {
      const n = requireNode()
      if (target.startsWith(ADDR_TARGET)) {
        const conn = await n.dial(multiaddr(target.slice(ADDR_TARGET.length)), { signal: AbortSignal.timeout(dialTimeoutMs) })
        return await upVia(conn)
      }
      const peer = asPeerId(target)
      if (up.has(peer) || !options.isMember(peer) || isBackedOff(peer)) return true
      const addrs = bootstrapAddrs.get(peer)
      if (addrs !== undefined) {
        for (const addr of addrs) {
          try {
            if (await upVia(await n.dial(multiaddr(addr), { signal: AbortSignal.timeout(dialTimeoutMs) }))) return true
          } catch (e) {
            logger.debug({ peer, addr, err: (e as Error).message }, 'dial failed')
          }
        }
        return false
      }
      // addresses learnt through identify
      return await upVia(await n.dial(peerIdFromString(peer), { signal: AbortSignal.timeout(dialTimeoutMs) }))
    }
  })

  /**
   * A dial "succeeds" once our handshake is done, even when the remote's gater then
   * refuses us; the peer counts as reached only when identify has run over the
   * connection, which proves the remote accepted it.
   */
  const upVia = async (conn: Connection): Promise<boolean> => {
    const peer = asPeerId(conn.remotePeer.toString())
    if (up.has(peer)) return true
    if (conn.status !== 'open') return false
    return await new Promise<boolean>((resolve) => {
      const finish = (): void => {
        timer.cancel()
        conn.removeEventListener('close', finish)
        upWaiters.get(peer)?.delete(finish)
        resolve(up.has(peer))
      }
      conn.addEventListener('close', finish)
      const timer = clock.setTimer(dialTimeoutMs, () => {
        // identify never answered, yet the remote kept the connection: it accepted us
        if (conn.status === 'open') markUp(peer, conn)
        finish()
      })
      let waiters = upWaiters.get(peer)
      if (waiters === undefined) { waiters = new Set(); upWaiters.set(peer, waiters) }
      waiters.add(finish)
    })
  }

  function requireNode (): Libp2p<{ identify: Identify, pubsub: GossipSub }> {
    if (node === undefined) throw new FlotillaError('internal', 'the libp2p network is not started', 'Call start() before using the network.')
    return node
  }

  /** A peer is up once identify has run over an open connection (see `upVia`). */
  const onIdentified = (result: IdentifyResult): void => {
    markUp(asPeerId(result.peerId.toString()), result.connection)
  }

  const markUp = (peer: PeerId, connection: Connection): void => {
    if (!running || up.has(peer) || connection.status !== 'open') return
    if (!options.isMember(peer)) { void connection.close().catch(() => {}); return }
    up.add(peer)
    redialer.reset(peer)
    logger.info({ peer }, 'peer up')
    call('onPeerUp', (h) => { h.onPeerUp(peer) })
    for (const finish of [...(upWaiters.get(peer) ?? [])]) finish()
    upWaiters.delete(peer)
  }

  const onPeerDisconnect = (id: Libp2pPeerId): void => {
    const peer = asPeerId(id.toString())
    direct.forget(peer)
    if (!running || !up.delete(peer)) return
    logger.info({ peer }, 'peer down')
    call('onPeerDown', (h) => { h.onPeerDown(peer) })
    if (options.isMember(peer) && !isBackedOff(peer)) redialer.schedule(peer)
  }

  const validate = (from: Libp2pPeerId, msg: Message): TopicValidatorResult => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const origin = asPeerId(msg.from.toString())
    if (!options.isMember(origin)) {
      logger.warn({ origin, via: from.toString() }, 'broadcast from a non-member rejected')
      return TopicValidatorResult.Reject
    }
    let verdict: 'accept' | 'reject' | 'ignore' = 'accept'
    if (handlers?.validateBroadcast !== undefined) {
      try { verdict = handlers.validateBroadcast(origin, msg.data) } catch (e) {
        logger.error({ err: (e as Error).message }, 'validateBroadcast threw; message ignored')
        verdict = 'ignore'
      }
    }
    return verdict === 'accept' ? TopicValidatorResult.Accept : verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }

  const relay = createDeferredRelay({
    clock,
    rng,
    maxDelayMs: relayDelayMs,
    maxPending: 4096,
    release: (msgId, source) => {
      if (node !== undefined && running) internals(node.services.pubsub).reportMessageValidationResult(msgId, source, TopicValidatorResult.Accept)
    }
  })

  const onGossip = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource, msgId } = evt.detail
    // validation (validate above) accepted it; gossipsub relays it once we say so
    relay.defer(msgId, propagationSource.toString())
    if (msg.type !== 'signed' || msg.topic !== topic) return
    const origin = asPeerId(msg.from.toString())
    const via = asPeerId(propagationSource.toString())
    const c = traffic.of(via)
    c.framesIn++
    c.bytesIn += msg.data.byteLength
    call('onBroadcast', (h) => { h.onBroadcast(origin, via, msg.data) })
  }

  const network: Libp2pNetwork = {
    localPeer,

    get libp2p () { return requireNode() },

    async start () {
      if (node !== undefined || stopped) throw new FlotillaError('internal', 'the libp2p network was already started', 'Create a new network to start again.')
      const privateKey = await generateKeyPairFromSeed('Ed25519', options.keys.seed)
      const gater = createMembershipGater({
        isMember: options.isMember,
        isBackedOff,
        onRefused: (peer, reason, stage) => {
          stats.refused[reason]++
          logger.warn({ peer, reason, stage, refused: stats.refused[reason] }, 'connection refused')
        }
      })
      const n = await createLibp2p({
        privateKey,
        addresses: { listen: options.listen },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionGater: gater,
        connectionManager: {
          dialTimeout: dialTimeoutMs,
          inboundConnectionThreshold: options.inboundConnectionsPerSecond ?? 20,
          // we re-dial members ourselves, with our own backoff
          reconnectRetries: 0
        },
        services: {
          identify: identify(),
          pubsub: gossipsub(gossipsubOptions(topic, maxBroadcastBytes, mesh))
        },
        start: false
      })
      if (n.peerId.toString() !== localPeer) {
        throw new FlotillaError('internal', `libp2p derived peer id ${n.peerId.toString()} from the site key, expected ${localPeer}`, 'Report this bug: identity and transport disagree.')
      }
      node = n
      n.addEventListener('peer:identify', (evt) => { onIdentified(evt.detail) })
      n.addEventListener('peer:disconnect', (evt) => { onPeerDisconnect(evt.detail) })
      await n.handle(SYNC_PROTOCOL, (stream, connection) => {
        direct.accept(asPeerId(connection.remotePeer.toString()), stream)
        // one above our own limit, so that the first stream too many reaches our handler
        // and is reported as a violation rather than silently refused by libp2p
      }, { maxInboundStreams: maxInboundStreams + 1, maxOutboundStreams: maxInboundStreams })
      running = true
      try {
        await n.start()
      } catch (e) {
        throw busyListenAddress(e) ?? e
      }
      n.services.pubsub.topicValidators.set(topic, validate)
      n.services.pubsub.addEventListener('gossipsub:message', onGossip)
      n.services.pubsub.subscribe(topic)
      for (const addr of options.bootstrap ?? []) {
        const id = multiaddr(addr).getComponents().findLast((c) => c.name === 'p2p')?.value
        if (id === undefined) {
          redialer.dialNow(ADDR_TARGET + addr)
        } else if (!options.isMember(asPeerId(id))) {
          logger.warn({ addr, peer: id }, 'bootstrap address names a site outside the roster; skipped')
        } else {
          const peer = asPeerId(id)
          bootstrapAddrs.set(peer, [...(bootstrapAddrs.get(peer) ?? []), addr])
          redialer.dialNow(peer)
        }
      }
      logger.info({ listen: network.listenAddresses() }, 'network started')
    },

    async stop () {
      if (stopped) return
      stopped = true
      running = false
      redialer.stop()
      relay.stop()
      for (const t of banTimers.values()) t.cancel()
      banTimers.clear()
      direct.close()
      up.clear()
      await node?.stop()
      logger.info({}, 'network stopped')
    },

    listenAddresses () {
      return node === undefined ? [] : node.getMultiaddrs().map((ma) => ma.toString())
    },

    handle (h) {
      handlers = h
      // peers that came up before the handlers were registered
      for (const peer of [...up].sort()) call('onPeerUp', (x) => { x.onPeerUp(peer) })
      return () => { if (handlers === h) handlers = undefined }
    },

    send (peer, payload) {
      if (!running || !up.has(peer)) {
        traffic.of(peer).dropped++
        return
      }
      direct.send(peer, payload)
    },

    backlog (peer) {
      return direct.queued(peer).bytes
    },

    broadcast (payload, broadcastOptions?: BroadcastOptions) {
      if (!running || payload.byteLength > maxBroadcastBytes) {
        stats.broadcastsDropped++
        if (running) logger.warn({ bytes: payload.byteLength, maxBroadcastBytes }, 'broadcast above the size limit not sent')
        return
      }
      const data = payload.slice()
      // a payload also sent on every direct link goes to the mesh only: flooding it too
      // would give every connected site a second copy over the same connection
      const floodPublish = broadcastOptions?.alsoSentDirect !== true
      internals(requireNode().services.pubsub).publish(topic, data, { floodPublish }).then(({ recipients }) => {
        for (const id of recipients) {
          const c = traffic.of(asPeerId(id.toString()))
          c.framesOut++
          c.bytesOut += data.byteLength
        }
      }, (e: unknown) => {
        stats.broadcastsDropped++
        logger.warn({ err: (e as Error).message }, 'broadcast failed')
      })
    },

    connectedPeers () {
      return [...up].sort()
    },

    disconnect (peer, reason, backoffMs) {
      const until = clock.monotonicMs() + Math.max(0, backoffMs)
      backoffUntil.set(peer, Math.max(until, backoffUntil.get(peer) ?? 0))
      logger.warn({ peer, reason, backoffMs }, 'disconnecting peer')
      banTimers.get(peer)?.cancel()
      redialer.reset(peer)
      banTimers.set(peer, clock.setTimer(backoffMs, () => {
        banTimers.delete(peer)
        if (running && options.isMember(peer) && !up.has(peer)) redialer.dialNow(peer)
      }))
      direct.forget(peer)
      if (node !== undefined) {
        node.hangUp(peerIdFromString(peer)).catch((e: unknown) => { logger.debug({ peer, err: (e as Error).message }, 'hang-up failed') })
      }
    },

    traffic () {
      return traffic.snapshot((p) => up.has(p))
    },

    stats () {
      return { refused: { ...stats.refused }, violations: stats.violations, broadcastsDropped: stats.broadcastsDropped }
    },

    gossipScore (peer) {
      return internals(requireNode().services.pubsub).getScore(peer)
    },

    meshPeers () {
      return internals(requireNode().services.pubsub).getMeshPeers(topic).map(asPeerId).sort()
    },

    topicPeers () {
      return requireNode().services.pubsub.getSubscribers(topic).map((p) => asPeerId(p.toString())).sort()
    },

    recheckMembership () {
      for (const peer of [...up].sort()) {
        if (!options.isMember(peer)) network.disconnect(peer, 'no longer a roster member', 0)
      }
    },

    pendingRedials () {
      return redialer.pending()
    }
  }
  return network
}

/**
 * libp2p reports a taken listen port as UnsupportedListenAddressesError, with the
 * addresses and their errors in its message; as `port-in-use`, named like the API's and
 * the dashboard's, it reads the same to an operator whichever port it is.
 */
function busyListenAddress (e: unknown): FlotillaError | undefined {
  const m = /(\/ip[46]\/([^/\s]+)\/tcp\/(\d+)): Error: listen EADDRINUSE/.exec(e instanceof Error ? e.message : '')
  if (m === null) return undefined
  return new FlotillaError('port-in-use', `port ${m[3]} on ${m[2]} (libp2p, ${m[1]}) is not available: EADDRINUSE`,
    'Another program holds the port (another site, or one still stopping): stop it, or pick a free port in p2p.listen of the site config.',
    { cause: e, details: { port: Number(m[3]), host: m[2], what: 'libp2p' } })
}

function positive (name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new FlotillaError('input-invalid', `'${name}' must be a positive number: received ${value}`, 'Fix the network options.')
  }
  return value
}
