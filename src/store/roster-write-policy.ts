/**
 * Who may write which document, from the roster: a site writes `site:<its id>`; every
 * roster member writes `federation`; any other document is unknown.
 */
import type { WritePolicy } from './log/verify.ts'

export function rosterWritePolicy (roster: () => ReadonlyArray<{ siteId: string, publicKey: string }>): WritePolicy {
  return (docId, signerHex) => {
    const members = roster()
    if (docId === 'federation') return members.some((m) => m.publicKey === signerHex) ? 'allowed' : 'denied'
    if (docId.startsWith('site:')) {
      const siteId = docId.slice(5)
      const owner = members.find((m) => m.siteId === siteId)
      if (owner === undefined) return 'unknown-document'
      return owner.publicKey === signerHex ? 'allowed' : 'denied'
    }
    return 'unknown-document'
  }
}
