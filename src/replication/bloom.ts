/**
 * Bloom filters over change hashes, as in Kleppmann and Howard's reconciliation: about
 * 10 bits and 7 probes per entry (≈1% false positives). Change hashes are SHA-256, so
 * their own words serve as hash functions; a per-filter salt keeps a peer from grinding
 * hashes that collide in everyone's filters. A false positive only costs a `need` round.
 */
import { FlotillaError } from '../model/errors.ts'
import type { WireReader, WireWriter } from './wire.ts'

export const BLOOM_BITS_PER_ENTRY = 10
export const BLOOM_PROBES = 7
/** Largest filter accepted from a peer (bits): enough for 2 million entries. */
export const BLOOM_MAX_BITS = 20_000_000

export interface BloomFilter {
  readonly bits: Uint8Array
  readonly size: number
  readonly salt: number
  has (hash: string): boolean
}

function probes (hash: string, salt: number, size: number): number[] {
  const out: number[] = []
  for (let i = 0; i < BLOOM_PROBES; i++) {
    const word = parseInt(hash.slice(i * 8, i * 8 + 8), 16)
    // Mix the salt in so positions are unpredictable to whoever chose the change.
    const mixed = Math.imul((word ^ salt) >>> 0, 0x9e3779b1) ^ Math.imul(salt + i, 0x85ebca6b)
    out.push((mixed >>> 0) % size)
  }
  return out
}

function filterOver (bits: Uint8Array, size: number, salt: number): BloomFilter {
  return {
    bits,
    size,
    salt,
    has (hash) {
      if (size === 0) return false
      for (const p of probes(hash, salt, size)) if ((bits[p >>> 3]! & (1 << (p & 7))) === 0) return false
      return true
    }
  }
}

export function buildBloom (hashes: Iterable<string>, count: number, salt: number): BloomFilter {
  const size = count === 0 ? 0 : Math.max(64, Math.ceil(count * BLOOM_BITS_PER_ENTRY / 8) * 8)
  const bits = new Uint8Array(size / 8)
  for (const h of hashes) for (const p of probes(h, salt, size)) bits[p >>> 3]! |= 1 << (p & 7)
  return filterOver(bits, size, salt)
}

/**
 * The most entries a filter of this size was built for (`buildBloom` gives `count`
 * entries at least 10 bits each, and 64 bits to up to 6). A filter thus declares, at its
 * own cost of 10 bits an entry, how many changes its sender holds: a reconciliation
 * initiator sends the responder no more changes than that.
 */
export function bloomCapacity (f: BloomFilter): number {
  return Math.floor(f.size / BLOOM_BITS_PER_ENTRY)
}

export function writeBloom (w: WireWriter, f: BloomFilter): void {
  w.uint(f.salt >>> 0).uint(f.size).raw(f.bits)
}

export function readBloom (r: WireReader): BloomFilter {
  const salt = r.uint()
  const size = r.uint()
  if (size > BLOOM_MAX_BITS || size % 8 !== 0) {
    throw new FlotillaError('malformed', `bloom filter of ${size} bits is not acceptable`, 'The peer sent an invalid filter.')
  }
  return filterOver(Uint8Array.from(r.raw(size / 8)), size, salt >>> 0)
}
