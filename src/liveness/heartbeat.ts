/**
 * Signed heartbeats: the only evidence of a site's liveness. A heartbeat names its site,
 * carries a counter that only grows (boot number in the high bits, so a restart never
 * goes back), the site's wall time and a digest of its document heads, and is signed by
 * the site's key. Anyone may relay it; nobody can forge one, and a replay is recognised
 * by its counter. Heartbeats are ephemeral: never written into document history.
 */
import { FlotillaError } from '../model/errors.ts'
import { fromHex, type Signer, type Verify } from '../identity/keys.ts'
import { WireReader, WireWriter } from '../replication/wire.ts'

export interface Heartbeat {
  siteId: string
  counter: number
  wallMs: number
  /** Digest of the sender's own site document heads (16 bytes, hex). */
  headsDigest: string
}

export interface SignedHeartbeat extends Heartbeat {
  signature: Uint8Array
}

const HEARTBEAT_VERSION = 1
/** Counters are boot × 2^32 + n: up to 2^21 boots of 2^32 beats each stay exact. */
export const BEATS_PER_BOOT = 2 ** 32

function body (hb: Heartbeat): Uint8Array {
  return new WireWriter(64).u8(HEARTBEAT_VERSION).string(hb.siteId).uint(hb.counter).uint(Math.max(0, Math.floor(hb.wallMs))).raw(Buffer.from(hb.headsDigest, 'hex')).finish()
}

export function signHeartbeat (signer: Signer, hb: Heartbeat): Uint8Array {
  const b = body(hb)
  const sig = signer.sign('flotilla/heartbeat/v1', b)
  const out = new Uint8Array(b.length + 64)
  out.set(b, 0)
  out.set(sig, b.length)
  return out
}

/**
 * The site and counter a heartbeat claims, read without checking its signature (or
 * undefined if it does not parse): enough to drop a copy already seen before paying for a
 * signature check. Nothing read here may be trusted or recorded.
 */
export function peekHeartbeat (bytes: Uint8Array): { siteId: string, counter: number } | undefined {
  if (bytes.length < 64 + 20) return undefined
  try {
    const r = new WireReader(bytes.subarray(0, bytes.length - 64))
    if (r.u8() !== HEARTBEAT_VERSION) return undefined
    return { siteId: r.string(64), counter: r.uint() }
  } catch {
    return undefined
  }
}

/**
 * Decodes and verifies a heartbeat against the roster's key for the site it names.
 * Throws `malformed`, `unauthorized-writer` (unknown site) or `bad-signature`.
 */
export function verifyHeartbeat (bytes: Uint8Array, keyOf: (siteId: string) => string | undefined, verify: Verify): SignedHeartbeat {
  if (bytes.length < 64 + 20) throw new FlotillaError('malformed', `heartbeat of ${bytes.length} bytes is too short`, 'The sender produced corrupt bytes.')
  const b = bytes.subarray(0, bytes.length - 64)
  const signature = bytes.subarray(bytes.length - 64)
  const r = new WireReader(b)
  if (r.u8() !== HEARTBEAT_VERSION) throw new FlotillaError('unsupported-version', 'heartbeat version not supported', 'Upgrade this site.')
  const siteId = r.string(64)
  const counter = r.uint()
  const wallMs = r.uint()
  const headsDigest = Buffer.from(r.raw(16)).toString('hex')
  r.end()
  const key = keyOf(siteId)
  if (key === undefined) throw new FlotillaError('unauthorized-writer', `heartbeat names "${siteId}", which is not in the roster`, 'Only roster members send heartbeats.')
  if (!verify(fromHex(key), 'flotilla/heartbeat/v1', b, signature)) {
    throw new FlotillaError('bad-signature', `heartbeat claiming to be from "${siteId}" is not signed by its key`, 'A peer forged or corrupted it; it is recorded as evidence.')
  }
  return { siteId, counter, wallMs, headsDigest, signature: Uint8Array.from(signature) }
}
