/**
 * Signature verification, the hot path of every received change and heartbeat. Every
 * verifier applies the federation's strict encoding rule (ed25519-strict.ts) first, so
 * all of them accept exactly the same signatures whichever library computes the
 * equation. The default backend is libsodium (the `sodium-native` addon, prebuilt for
 * the common platforms, ≈ 1.8× node:crypto here); where the addon cannot load, node:crypto
 * (OpenSSL) takes over, and tweetnacl stays the portable cross-check.
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { createRequire } from 'node:module'
import nacl from 'tweetnacl'
import { FlotillaError } from '../model/errors.ts'
import { hasStrictEncoding } from './ed25519-strict.ts'
import { signedBytes, type SignatureContext } from './signed-bytes.ts'

export type Verify = (publicKey: Uint8Array, context: SignatureContext, message: Uint8Array, signature: Uint8Array) => boolean

/** Computes the ed25519 equation over bytes that passed the strict rule. */
type VerifyDetached = (publicKey: Uint8Array, bytes: Uint8Array, signature: Uint8Array) => boolean

export type VerifierBackend = 'sodium' | 'node' | 'tweetnacl'

export interface VerifierOptions {
  /** Default: `sodium` where the addon loads, else `node`. */
  backend?: VerifierBackend
  /** Parsed public keys kept by the `node` backend. */
  keyCacheSize?: number
}

interface SodiumBinding {
  crypto_sign_verify_detached (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

let sodium: SodiumBinding | null | undefined
let sodiumLoadError: string | undefined

function loadSodium (): SodiumBinding | null {
  if (sodium !== undefined) return sodium
  try {
    sodium = createRequire(import.meta.url)('sodium-native') as SodiumBinding
  } catch (e) {
    sodium = null
    sodiumLoadError = (e as Error).message
  }
  return sodium
}

/** The backend `createVerifier()` uses on this machine, and why if it is not libsodium. */
export function defaultVerifierBackend (): { backend: VerifierBackend, reason?: string } {
  if (loadSodium() !== null) return { backend: 'sodium' }
  return { backend: 'node', reason: `the sodium-native addon did not load (${sodiumLoadError ?? 'unknown error'})` }
}

const SPKI_ED25519_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

/**
 * node:crypto with a bounded cache of parsed public keys (parsing a key costs about as
 * much as a verification). The key used last is checked first by its bytes: changes
 * arrive in runs from one author, and that check is cheaper than the hex string the
 * cache is keyed by.
 */
function nodeBackend (cacheSize: number): VerifyDetached {
  const cache = new Map<string, KeyObject | null>()
  let lastBytes: Uint8Array | undefined
  let lastKey: KeyObject | null = null
  const parse = (publicKey: Uint8Array): KeyObject | null => {
    const der = new Uint8Array(SPKI_ED25519_PREFIX.length + 32)
    der.set(SPKI_ED25519_PREFIX, 0)
    der.set(publicKey, SPKI_ED25519_PREFIX.length)
    try { return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }) } catch { return null }
  }
  const keyObject = (publicKey: Uint8Array): KeyObject | null => {
    if (lastBytes !== undefined && sameBytes(lastBytes, publicKey)) return lastKey
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('hex')
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
  return (publicKey, bytes, signature) => {
    const key = keyObject(publicKey)
    if (key === null) return false
    try { return nodeVerify(null, bytes, key, signature) } catch { return false }
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function backendFor (backend: VerifierBackend, keyCacheSize: number): VerifyDetached {
  switch (backend) {
    case 'sodium': {
      const s = loadSodium()
      if (s === null) {
        throw new FlotillaError('addon-unavailable', `the libsodium verifier is not available: ${sodiumLoadError ?? 'unknown error'}`,
          'Reinstall with `npm ci` on this platform (sodium-native ships prebuilt addons), or use the node:crypto backend.')
      }
      return (publicKey, bytes, signature) => s.crypto_sign_verify_detached(signature, bytes, publicKey)
    }
    case 'node': return nodeBackend(keyCacheSize)
    case 'tweetnacl': return (publicKey, bytes, signature) => nacl.sign.detached.verify(bytes, signature, publicKey)
  }
}

/**
 * A verifier: the strict encoding rule, then the backend's equation over the
 * context-separated bytes. Malformed keys or signatures verify false; nothing throws.
 */
export function createVerifier (options: VerifierOptions = {}): Verify {
  const detached = backendFor(options.backend ?? defaultVerifierBackend().backend, options.keyCacheSize ?? 4096)
  return (publicKey, context, message, signature) => {
    if (!hasStrictEncoding(publicKey, signature)) return false
    return detached(publicKey, signedBytes(context, message), signature)
  }
}

/** tweetnacl under the same strict rule: the portable cross-check of `createVerifier`. */
export const verifyPortable: Verify = createVerifier({ backend: 'tweetnacl' })
