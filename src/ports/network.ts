/**
 * Network port: framed messages between sites. Production binds libp2p (TCP, Noise,
 * Yamux, gossipsub), where a peer id is the site's ed25519 key, so `from` is
 * authenticated by the transport; the simulator binds a modelled network with latency,
 * loss, duplication, reordering and partitions. Delivery is best effort: a message may
 * be dropped (full queue, broken link), and protocols above recover by anti-entropy.
 */

export type PeerId = string & { readonly __peerId: true }

export function asPeerId (s: string): PeerId {
  return s as PeerId
}

export interface NetworkHandlers {
  /** A frame sent directly to this site by an authenticated peer. */
  onMessage (from: PeerId, payload: Uint8Array): void
  /**
   * A message published on the federation topic. `origin` is the publisher as
   * authenticated by the transport's message signature; `via` is the neighbour it came from.
   */
  onBroadcast (origin: PeerId, via: PeerId, payload: Uint8Array): void
  onPeerUp (peer: PeerId): void
  onPeerDown (peer: PeerId): void
  /**
   * Judges a broadcast before it is relayed further. `reject` marks it invalid (the
   * transport lowers the sender's score and does not relay it); `ignore` drops it
   * quietly (e.g. a stale duplicate). Defaults to `accept`.
   */
  validateBroadcast? (origin: PeerId, payload: Uint8Array): 'accept' | 'reject' | 'ignore'
  /**
   * A peer broke a transport rule (the offending stream was reset and the frame dropped).
   * Optional for the handler, but an adapter that detects a breach must report it here:
   * the replicator records it as evidence and lowers the peer's standing, so a repeat
   * offender is disconnected.
   */
  onViolation? (peer: PeerId, violation: TransportViolation): void
}

/** How a broadcast leaves this site (transports without the distinction ignore it). */
export interface BroadcastOptions {
  /**
   * The caller sends the same payload on every direct link as well, so the transport need
   * not hand a copy of its own to every connected site: it starts the message on its
   * relay path only (the gossip mesh), which still carries it to the sites without a
   * direct link. Default false.
   */
  alsoSentDirect?: boolean
}

/** A peer's breach of a transport limit, as reported to `NetworkHandlers.onViolation`. */
export type TransportViolation = 'frame-too-large' | 'malformed-frame' | 'too-many-streams' | 'unexpected-data'

export interface PeerTraffic {
  peer: PeerId
  connected: boolean
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
  /** Frames dropped for this peer (full queue, oversize, not connected). */
  dropped: number
}

export interface Network {
  readonly localPeer: PeerId
  /** Registers the handlers; one set per network. Returns a function that removes them. */
  handle (handlers: NetworkHandlers): () => void
  /**
   * Sends one frame to a connected peer; dropped if the peer is not connected. The buffer
   * is the transport's from then on: the caller must not change it (one buffer may be
   * sent to many peers, and the transport queues it without a copy).
   */
  send (peer: PeerId, payload: Uint8Array): void
  /**
   * Bytes handed to `send` for `peer` and not yet written to the transport. Senders of
   * bulk data wait while it is high instead of overflowing the bounded queue, which
   * drops. Optional: a transport without a queue of its own reports nothing (0).
   */
  backlog? (peer: PeerId): number
  /** Publishes to every site over the federation topic. */
  broadcast (payload: Uint8Array, options?: BroadcastOptions): void
  connectedPeers (): PeerId[]
  /** Drops the connection and refuses the peer until `backoffMs` has passed. */
  disconnect (peer: PeerId, reason: string, backoffMs: number): void
  /** Per-peer traffic counters since start, for metrics and the egress log. */
  traffic (): PeerTraffic[]
}
