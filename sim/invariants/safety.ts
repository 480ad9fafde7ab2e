/**
 * Safety: no honest site ever accepted a change that lacks a valid signature from a
 * writer authorized for its document, and no honest site is convicted of misbehaviour.
 * Every honest store's signed change log is checked on its own (each entry once per
 * store incarnation), with checks written here rather than borrowed from the code under
 * test: the ed25519 signature over (document, SHA-256 of the change) against the key
 * the envelope names, that key being the roster key of the document's owner (or of a
 * member, for the federation document), the change's actor derived from that key, and
 * the entry's hash being the change's own. Evidence honest sites record against honest
 * sites (equivocation, forged signatures, unauthorized writes) is a violation too.
 */
import { toHex, type Verify } from '../../src/identity/keys.ts'
import type { EvidenceRecord, RosterMember } from '../../src/model/federation.ts'
import { readChangeHeader } from '../../src/store/log/change-header.ts'
import { signedChangeMessage, type SignedChange } from '../../src/store/log/envelope.ts'
import type { Violation } from './types.ts'

/** Why a log entry should never have been accepted, or undefined when it is sound. */
export function unsoundEntry (docId: string, hash: string, env: SignedChange, roster: readonly RosterMember[], verify: Verify): string | undefined {
  if (env.docId !== docId) return `entry filed under ${docId} is signed for ${env.docId}`
  const signer = toHex(env.signer)
  if (docId === 'federation') {
    if (!roster.some((m) => m.publicKey === signer)) return `the federation document change is signed by ${signer.slice(0, 16)}…, not a roster member`
  } else if (docId.startsWith('site:')) {
    const owner = roster.find((m) => `site:${m.siteId}` === docId)
    if (owner === undefined) return `document ${docId} belongs to no roster member`
    if (owner.publicKey !== signer) return `the change names signer ${signer.slice(0, 16)}…, but only ${owner.siteId}'s key ${owner.publicKey.slice(0, 16)}… may write ${docId}`
  } else {
    return `document ${docId} is neither a site document nor the federation document`
  }
  if (!verify(env.signer, 'flotilla/change/v1', signedChangeMessage(docId, env.change), env.signature)) {
    return `the signature does not verify under the named signer ${signer.slice(0, 16)}…`
  }
  let header
  try { header = readChangeHeader(env.change) } catch (e) { return `the change does not decode: ${(e as Error).message}` }
  if (header.hash !== hash) return `the entry is filed as ${hash.slice(0, 12)}… but the change hashes to ${header.hash.slice(0, 12)}…`
  if (!header.actor.startsWith(signer) || header.actor.length > signer.length + 32) return `the change's actor ${header.actor.slice(0, 16)}… is not derived from the signer's key`
  return undefined
}

/** Evidence kinds an honest site can never earn. */
export const CONVICTING_KINDS: ReadonlySet<string> = new Set(['equivocation', 'bad-signature', 'unauthorized-writer', 'actor-mismatch'])

/** Violations for evidence honest observers hold against honest sites. */
export function honestConvictions (evidence: readonly EvidenceRecord[], honest: ReadonlySet<string>, timeMs: number): Violation[] {
  const out: Violation[] = []
  for (const e of evidence) {
    if (!honest.has(e.observedBy) || !honest.has(e.offender) || !CONVICTING_KINDS.has(e.kind)) continue
    out.push({
      invariant: 'safety', rule: 'no-honest-conviction', timeMs, site: e.observedBy, subject: e.offender,
      message: `honest site ${e.observedBy} recorded ${e.kind} evidence against honest site ${e.offender}: ${e.detail}`
    })
  }
  return out
}

/** A cache of verdicts by (document, hash, signature), so a change held by many stores is verified once. */
export function createEntryJudge (roster: readonly RosterMember[], verify: Verify): (docId: string, hash: string, env: SignedChange) => string | undefined {
  const verdicts = new Map<string, string | null>()
  return (docId, hash, env) => {
    const key = `${docId}|${hash}|${toHex(env.signature)}|${toHex(env.signer)}`
    const known = verdicts.get(key)
    if (known !== undefined) return known ?? undefined
    const v = unsoundEntry(docId, hash, env, roster, verify)
    verdicts.set(key, v ?? null)
    return v
  }
}
