/** Deterministic site keys for network tests: key i is derived from a seed filled with i. */
import { keyPairFromSeed, type KeyPair } from '../../src/identity/keys.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import type { PeerId } from '../../src/ports/network.ts'

export interface TestSite { keys: KeyPair, peer: PeerId }

export function testSite (i: number): TestSite {
  const keys = keyPairFromSeed(new Uint8Array(32).fill(i))
  return { keys, peer: peerIdFromPublicKey(keys.publicKey) }
}
