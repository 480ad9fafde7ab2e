/**
 * Site and agent identities: ed25519 key pairs. The fast path signs and verifies with
 * node:crypto (about 100x faster than tweetnacl here); tweetnacl derives keys from a seed
 * portably (the simulator seeds keys from its PRNG) and serves as an independent
 * cross-check of the fast path. Every signature is domain-separated by a context string
 * so a signature made for one purpose can never be replayed as another.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import nacl from 'tweetnacl'
import { FlotillaError } from '../model/errors.ts'

export interface KeyPair {
  /** 32-byte ed25519 public key. */
  publicKey: Uint8Array
  /** 32-byte seed the key pair is derived from; the secret. */
  seed: Uint8Array
}

/** What a signature is for; part of the signed bytes. */
export type SignatureContext =
  | 'flotilla/change/v1'
  | 'flotilla/heartbeat/v1'
  | 'flotilla/evidence/v1'
  | 'flotilla/announce/v1'
  | 'flotilla/agent/v1'

const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const SPKI_ED25519_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
const encoder = new TextEncoder()
/** Encoded context strings: a handful of constants, encoded once instead of per signature. */
const contextBytes = new Map<SignatureContext, Uint8Array>()

/** Derives the key pair from a 32-byte seed (deterministic; tweetnacl). */
export function keyPairFromSeed (seed: Uint8Array): KeyPair {
  if (seed.length !== 32) {
    throw new FlotillaError('key-invalid', `an ed25519 seed must be 32 bytes: received ${seed.length}`, 'Regenerate the key with `flotilla init --force`.')
  }
  const kp = nacl.sign.keyPair.fromSeed(seed)
  return { publicKey: kp.publicKey, seed: Uint8Array.from(seed) }
}

/** The bytes actually signed: context, a zero byte, then the message. */
export function signedBytes (context: SignatureContext, message: Uint8Array): Uint8Array {
  let ctx = contextBytes.get(context)
  if (ctx === undefined) contextBytes.set(context, ctx = encoder.encode(context))
  const out = new Uint8Array(ctx.length + 1 + message.length)
  out.set(ctx, 0)
  out.set(message, ctx.length + 1)
  return out
}

export interface Signer {
  readonly publicKey: Uint8Array
  readonly publicKeyHex: string
  sign (context: SignatureContext, message: Uint8Array): Uint8Array
}

/** A signer on node:crypto (the hot path). */
export function createSigner (keys: KeyPair): Signer {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32)
  der.set(PKCS8_ED25519_PREFIX, 0)
  der.set(keys.seed, PKCS8_ED25519_PREFIX.length)
  const privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  return {
    publicKey: keys.publicKey,
    publicKeyHex: toHex(keys.publicKey),
    sign: (context, message) => new Uint8Array(nodeSign(null, signedBytes(context, message), privateKey))
  }
}

/** A signer on tweetnacl: slower, portable; used to cross-check the fast path. */
export function createPortableSigner (keys: KeyPair): Signer {
  const secretKey = nacl.sign.keyPair.fromSeed(keys.seed).secretKey
  return {
    publicKey: keys.publicKey,
    publicKeyHex: toHex(keys.publicKey),
    sign: (context, message) => nacl.sign.detached(signedBytes(context, message), secretKey)
  }
}

export type Verify = (publicKey: Uint8Array, context: SignatureContext, message: Uint8Array, signature: Uint8Array) => boolean

/**
 * A verifier on node:crypto with a bounded cache of parsed public keys (parsing a key
 * costs about as much as a verification). The key used last is checked first by its
 * bytes: changes arrive in runs from one author, and that check is cheaper than the hex
 * string the cache is keyed by. Malformed keys or signatures verify false.
 */
export function createVerifier (cacheSize = 4096): Verify {
  const cache = new Map<string, KeyObject | null>()
  let lastBytes: Uint8Array | undefined
  let lastKey: KeyObject | null = null
  const parse = (publicKey: Uint8Array): KeyObject | null => {
    if (publicKey.length !== 32) return null
    const der = new Uint8Array(SPKI_ED25519_PREFIX.length + 32)
    der.set(SPKI_ED25519_PREFIX, 0)
    der.set(publicKey, SPKI_ED25519_PREFIX.length)
    try { return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }) } catch { return null }
  }
  const keyObject = (publicKey: Uint8Array): KeyObject | null => {
    if (lastBytes !== undefined && sameBytes(lastBytes, publicKey)) return lastKey
    const id = toHex(publicKey)
    let key = cache.get(id)
    if (key === undefined) {
      key = parse(publicKey)
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string)
      cache.set(id, key)
    }
    // A copy: the caller may reuse or mutate its buffer after the call.
    lastBytes = Uint8Array.from(publicKey)
    lastKey = key
    return key
  }
  return (publicKey, context, message, signature) => {
    if (signature.length !== 64) return false
    const key = keyObject(publicKey)
    if (key === null) return false
    try {
      return nodeVerify(null, signedBytes(context, message), key, signature)
    } catch {
      return false
    }
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** tweetnacl verification: the portable cross-check of `createVerifier`. */
export const verifyPortable: Verify = (publicKey, context, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  return nacl.sign.detached.verify(signedBytes(context, message), signature, publicKey)
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex (hex: string, field = 'hex value'): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) {
    throw new FlotillaError('key-invalid', `'${field}' must be lower-case hex: received ${JSON.stringify(hex.slice(0, 80))}`, 'Copy the value exactly as printed by `flotilla init`.')
  }
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
