/**
 * How a Byzantine site makes the changes it should not: Automerge changes built on its
 * replica of a document under an actor of its choosing (a victim's key with a fresh
 * suffix, or its own store's actor at an already used seq), wrapped in envelopes whose
 * signer and signature are whatever the attack needs.
 */
import * as A from '@automerge/automerge'
import { fromHex, type Signer } from '../../src/identity/keys.ts'
import { signChange, type SignedChange } from '../../src/store/log/envelope.ts'
import type { SiteDoc } from '../../src/store/docs/index.ts'
import type { Rng } from '../../src/ports/rng.ts'

/** Change bytes built on `base` as `actor` (hex), or undefined when `mutate` changed nothing. */
export function craftChange (base: A.Doc<SiteDoc>, actor: string, timeSec: number, message: string, mutate: (d: SiteDoc) => void): Uint8Array | undefined {
  const doc = A.clone(base, { actor })
  const next = A.change(doc, { time: timeSec, message }, mutate)
  if (next === doc) return undefined
  return A.getLastLocalChange(next)
}

/** An envelope naming `signerHex` as author but signed with random bytes: fails verification. */
export function forgedEnvelope (docId: string, change: Uint8Array, signerHex: string, rng: Rng): SignedChange {
  return { docId, change, signer: fromHex(signerHex), signature: rng.bytes(64) }
}

/** A validly signed envelope by `signer`, for a document it may not write (or one it may, for equivocation). */
export function selfSignedEnvelope (docId: string, change: Uint8Array, signer: Signer): SignedChange {
  return signChange(signer, docId, change)
}

/** A fresh actor id derived from `keyHex` (key plus 8 random bytes), as an impostor would pick. */
export function actorFor (keyHex: string, rng: Rng): string {
  return keyHex + Buffer.from(rng.bytes(8)).toString('hex')
}
