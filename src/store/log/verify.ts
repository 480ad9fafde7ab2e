/**
 * `verifySignedChange`: the gate every change passes before it may touch a document.
 * Checks run cheapest first and each failure has its own code, in this precedence:
 * oversized (bytes) → wrong-document → unauthorized-writer → bad-signature → malformed →
 * actor-mismatch → oversized (ops). A rejected change leaves no trace in any state.
 */
import { FlotillaError } from '../../model/errors.ts'
import { toHex, type Verify } from '../../identity/keys.ts'
import { readChangeHeader, type ChangeHeader } from './change-header.ts'
import { signedChangeMessage, type SignedChange } from './envelope.ts'
import { bugActive } from '../../testing/injected-bugs.ts'

/** Who may write a document: `unknown-document` if no such document exists in this federation. */
export type WritePolicy = (docId: string, signerHex: string) => 'allowed' | 'denied' | 'unknown-document'

export interface VerifyLimits {
  maxChangeBytes: number
  maxChangeOps: number
}

export interface VerifiedChange {
  env: SignedChange
  header: ChangeHeader
  signerHex: string
}

/**
 * An actor id is bound to its signer: it is the signer's public key, optionally followed
 * by up to 16 bytes naming an incarnation (a site that lost its disk starts a new actor
 * instead of reusing sequence numbers).
 */
export function actorBelongsTo (actorHex: string, signerHex: string): boolean {
  return actorHex.startsWith(signerHex) && actorHex.length <= signerHex.length + 32
}

/** `parsed`: the change's header if the caller already read it from these same bytes. */
export function verifySignedChange (env: SignedChange, verify: Verify, mayWrite: WritePolicy, limits: VerifyLimits, parsed?: ChangeHeader): VerifiedChange {
  if (env.change.length > limits.maxChangeBytes) {
    throw new FlotillaError('oversized', `change of ${env.change.length} bytes exceeds the limit of ${limits.maxChangeBytes}`,
      'Split large updates into several changes, or raise limits.maxChangeBytes on every site.', { details: { docId: env.docId } })
  }
  const signerHex = toHex(env.signer)
  const permission = mayWrite(env.docId, signerHex)
  if (permission === 'unknown-document') {
    throw new FlotillaError('wrong-document', `no document "${env.docId}" exists in this federation`,
      'Changes must name a site document of a roster member (site:<id>) or the federation document.', { details: { docId: env.docId } })
  }
  if (permission === 'denied') {
    throw new FlotillaError('unauthorized-writer', `key ${signerHex.slice(0, 16)}… may not write document "${env.docId}"`,
      'Only a site may write its own document, and only roster members the federation document.', { details: { docId: env.docId, signer: signerHex } })
  }
  // bugActive: a test-only injected bug for the simulator's self-test (src/testing/injected-bugs.ts); always off in production.
  if (!verify(env.signer, 'flotilla/change/v1', signedChangeMessage(env.docId, env.change), env.signature) && !bugActive('skip-signature-check')) {
    throw new FlotillaError('bad-signature', `signature on a change to "${env.docId}" does not verify`,
      'The change was forged or corrupted in transit; it is recorded as evidence against the sender.', { details: { docId: env.docId, signer: signerHex } })
  }
  const header = parsed ?? readChangeHeader(env.change)
  if (!actorBelongsTo(header.actor, signerHex)) {
    throw new FlotillaError('actor-mismatch', `change authored as actor ${header.actor.slice(0, 16)}… is signed by another key ${signerHex.slice(0, 16)}…`,
      'A writer may only author changes under actor ids derived from its own key.', { details: { docId: env.docId, actor: header.actor } })
  }
  if (header.ops > limits.maxChangeOps) {
    throw new FlotillaError('oversized', `change with ${header.ops} ops exceeds the limit of ${limits.maxChangeOps}`,
      'Split large updates into several changes, or raise limits.maxChangeOps on every site.', { details: { docId: env.docId } })
  }
  return { env, header, signerHex }
}
