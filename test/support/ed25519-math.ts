/**
 * ed25519 in BigInt, slow and plain, for tests only: builds the crafted keys and
 * signatures (small-order points, mixed-order keys, non-canonical encodings) that honest
 * signers never produce, so the verifiers can be held to one acceptance rule on them.
 */
import { createHash } from 'node:crypto'

export const P = (1n << 255n) - 19n
export const L = (1n << 252n) + 27742317777372353535851937790883648493n

export const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m
export function pow (b: bigint, e: bigint, m = P): bigint {
  let r = 1n; b = mod(b, m)
  for (; e > 0n; e >>= 1n) { if ((e & 1n) === 1n) r = r * b % m; b = b * b % m }
  return r
}
export const inv = (a: bigint): bigint => pow(a, P - 2n)
export const D = mod(-121665n * inv(121666n))
const SQRT_M1 = pow(2n, (P - 1n) / 4n)

/** A square root mod p, or undefined. */
export function sqrt (a: bigint): bigint | undefined {
  a = mod(a)
  let x = pow(a, (P + 3n) / 8n)
  if (mod(x * x - a) !== 0n) x = x * SQRT_M1 % P
  return mod(x * x - a) === 0n ? x : undefined
}

/** Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z. */
export interface Point { X: bigint, Y: bigint, Z: bigint, T: bigint }

export const IDENTITY: Point = { X: 0n, Y: 1n, Z: 1n, T: 0n }

export function add (p: Point, q: Point): Point {
  const a = mod((p.Y - p.X) * (q.Y - q.X)); const b = mod((p.Y + p.X) * (q.Y + q.X))
  const c = mod(2n * D * p.T * q.T); const d = mod(2n * p.Z * q.Z)
  const e = b - a; const f = d - c; const g = d + c; const h = b + a
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) }
}

export function multiply (p: Point, n: bigint): Point {
  let r = IDENTITY
  for (let q = p; n > 0n; n >>= 1n, q = add(q, q)) if ((n & 1n) === 1n) r = add(r, q)
  return r
}

export function affine (p: Point): { x: bigint, y: bigint } {
  const zi = inv(p.Z)
  return { x: mod(p.X * zi), y: mod(p.Y * zi) }
}

export const isIdentity = (p: Point): boolean => { const a = affine(p); return a.x === 0n && a.y === 1n }

/** The point with this y and the sign of x, or undefined if off the curve. */
export function pointFromY (y: bigint, negative: boolean): Point | undefined {
  const x2 = mod((y * y - 1n) * inv(D * y * y + 1n))
  let x = sqrt(x2)
  if (x === undefined) return undefined
  if (((x & 1n) === 1n) !== negative) x = mod(-x)
  return { X: x, Y: mod(y), Z: 1n, T: mod(x * y) }
}

export function littleEndian (bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

export function toLittleEndian (n: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}

/** An encoding with any 255-bit y (canonical or not) and the sign bit. */
export function encodeY (y: bigint, negative = false): Uint8Array {
  const out = toLittleEndian(y)
  if (negative) out[31]! |= 0x80
  return out
}

export function encode (p: Point): Uint8Array {
  const { x, y } = affine(p)
  return encodeY(y, (x & 1n) === 1n)
}

export function decode (bytes: Uint8Array): Point | undefined {
  const y = littleEndian(bytes) & ((1n << 255n) - 1n)
  return pointFromY(y, (bytes[31]! & 0x80) !== 0)
}

export const BASE = pointFromY(mod(4n * inv(5n)), false)!

const sha512 = (...parts: Uint8Array[]): bigint => littleEndian(new Uint8Array(createHash('sha512').update(Buffer.concat(parts)).digest()))

/** The secret scalar of a 32-byte seed, as RFC 8032 derives it. */
export function secretScalar (seed: Uint8Array): bigint {
  const h = toLittleEndian(sha512(seed), 64).subarray(0, 32)
  h[0]! &= 248; h[31]! &= 127; h[31]! |= 64
  return littleEndian(h)
}

/**
 * A signature under the public key bytes `publicKey` made with secret scalar `a` and
 * nonce `r`: S = r + H(R ‖ A ‖ M)·a. With `publicKey` other than a·B (a key with a
 * torsion part) it is the signature a verifier's cofactorless equation sees as valid
 * exactly when H(R ‖ A ‖ M) kills the torsion.
 */
export function signWith (a: bigint, r: bigint, publicKey: Uint8Array, message: Uint8Array): { signature: Uint8Array, k: bigint } {
  const R = encode(multiply(BASE, r))
  const k = mod(sha512(R, publicKey, message), L)
  const S = mod(r + k * a, L)
  const signature = new Uint8Array(64)
  signature.set(R, 0)
  signature.set(toLittleEndian(S), 32)
  return { signature, k }
}
