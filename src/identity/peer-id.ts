/**
 * The libp2p peer id of an ed25519 key, computed without libp2p so the core can name
 * peers: base58btc of an identity multihash over the protobuf-encoded public key
 * (`12D3KooW...`). The libp2p adapter's tests check it matches libp2p's own.
 */
import { toString as bytesToString, fromString as bytesFromString } from 'uint8arrays'
import { FlotillaError } from '../model/errors.ts'
import { asPeerId, type PeerId } from '../ports/network.ts'

// protobuf PublicKey { Type: Ed25519 (1), Data: 32 bytes } wrapped in an identity multihash (0x00, length 36).
const PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])

export function peerIdFromPublicKey (publicKey: Uint8Array): PeerId {
  if (publicKey.length !== 32) {
    throw new FlotillaError('key-invalid', `an ed25519 public key must be 32 bytes: received ${publicKey.length}`, 'Check the roster entry.')
  }
  const mh = new Uint8Array(PREFIX.length + 32)
  mh.set(PREFIX, 0)
  mh.set(publicKey, PREFIX.length)
  return asPeerId(bytesToString(mh, 'base58btc'))
}

/** The ed25519 public key inside a peer id, or undefined if it is not an ed25519 peer id. */
export function publicKeyFromPeerId (peerId: string): Uint8Array | undefined {
  let mh: Uint8Array
  try { mh = bytesFromString(peerId, 'base58btc') } catch { return undefined }
  if (mh.length !== PREFIX.length + 32) return undefined
  for (let i = 0; i < PREFIX.length; i++) if (mh[i] !== PREFIX[i]) return undefined
  return mh.slice(PREFIX.length)
}
