/**
 * Site and agent identities: ed25519 key pairs. Signing uses node:crypto (about 100x
 * faster than tweetnacl here; verification lives in verifier.ts); tweetnacl derives keys
 * from a seed portably (the simulator seeds keys from its PRNG) and serves as an
 * independent cross-check of the fast path.
 */
import { createPrivateKey, sign as nodeSign } from 'node:crypto'
import nacl from 'tweetnacl'
import { FlotillaError } from '../model/errors.ts'
import { signedBytes, type SignatureContext } from './signed-bytes.ts'

export { signedBytes, type SignatureContext } from './signed-bytes.ts'
export { createVerifier, verifyPortable, type Verify } from './verifier.ts'

export interface KeyPair {
  /** 32-byte ed25519 public key. */
  publicKey: Uint8Array
  /** 32-byte seed the key pair is derived from; the secret. */
  seed: Uint8Array
}

const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

/** Derives the key pair from a 32-byte seed (deterministic; tweetnacl). */
export function keyPairFromSeed (seed: Uint8Array): KeyPair {
  if (seed.length !== 32) {
    throw new FlotillaError('key-invalid', `an ed25519 seed must be 32 bytes: received ${seed.length}`, 'Regenerate the key with `flotilla init --force`.')
  }
  const kp = nacl.sign.keyPair.fromSeed(seed)
  return { publicKey: kp.publicKey, seed: Uint8Array.from(seed) }
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

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex (hex: string, field = 'hex value'): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) {
    throw new FlotillaError('key-invalid', `'${field}' must be lower-case hex: received ${JSON.stringify(hex.slice(0, 80))}`, 'Copy the value exactly as printed by `flotilla init`.')
  }
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
