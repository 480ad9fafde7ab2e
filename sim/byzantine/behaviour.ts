/**
 * The Byzantine behaviours a simulated site can be switched into, each on its own. A
 * Byzantine site is a real site (the honest core, unchanged) wrapped: its outbound frames
 * go through the fabric's interception hook, it injects frames of its own over its own
 * authenticated connections, its inbound frames are tapped for replay, and its cluster
 * drivers can lie. Nothing here weakens honest code.
 */

export const BYZANTINE_BEHAVIOURS = [
  /** Changes and heartbeats claiming to come from honest sites, with signatures that do not verify. */
  'forge',
  /** Validly self-signed changes to other sites' documents and to documents that do not exist. */
  'foreign-write',
  /** Two different validly signed changes at one (actor, seq), each sent to half of the peers. */
  'equivocate',
  /** Old changes and old heartbeats (its own and others') sent again, directly and as exact gossip replays. */
  'replay',
  /** Relays nothing and sends its own changes and sync traffic only to half of its peers (heartbeats still flow). */
  'withhold',
  /** Bursts far above the per-peer limits: concurrent sync sessions and change-heavy frames. */
  'flood',
  /** Random bytes, truncated frames, bit-flipped envelopes, an oversized frame, garbage gossip. */
  'malformed',
  /** Its clusters report ten times their capacity and nothing allocated, and at times NotReady while healthy. */
  'lie-clusters',
  /** Claims honest sites are dead: failure events and failover bindings in its own document, dead-claims on gossip, their heartbeats not relayed. */
  'false-death'
] as const

export type ByzantineBehaviour = typeof BYZANTINE_BEHAVIOURS[number]

export function isByzantineBehaviour (s: string): s is ByzantineBehaviour {
  return (BYZANTINE_BEHAVIOURS as readonly string[]).includes(s)
}
