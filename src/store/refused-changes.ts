/**
 * Signed changes Automerge refuses. A change can carry a valid signature from an
 * authorised writer and still be bytes Automerge cannot take: verification reads the
 * header only (a full decode costs more than the signature check, on every change a site
 * receives), so a bad op column passes it. The document store treats a failed apply as
 * the check (`applyChecked` there); this module holds the pieces it needs: which of a
 * batch Automerge refuses on its own, the log without them, and a bounded memory of their
 * hashes so a replayed one is refused before it is verified again.
 */
import * as A from '@automerge/automerge'
import { FlotillaError } from '../model/errors.ts'
import { createDocumentLog, type DocumentLog, type DocumentLogOptions, type LogEntry } from './log/change-log.ts'

/** Refused hashes a store remembers (oldest forgotten first). */
export const MAX_REFUSED_REMEMBERED = 4096

/** Of `entries`, those Automerge refuses on their own (costly: run only once an apply failed). */
export function unappliable (entries: readonly LogEntry[]): LogEntry[] {
  return entries.filter((e) => {
    try {
      A.decodeChange(e.env.change)
      A.applyChanges(A.init(), [e.env.change])
      return false
    } catch { return true }
  })
}

/** A new log of `log`'s entries but `bad` (what was built on them waits for a dependency that never comes). */
export function logWithout (log: DocumentLog, bad: ReadonlySet<string>, options: DocumentLogOptions): DocumentLog {
  const rest = createDocumentLog(log.docId, options)
  rest.add([...log.hashes()].filter((h) => !bad.has(h)).map((h) => log.get(h)!))
  return rest
}

export interface RefusedChanges {
  remember (hashes: Iterable<string>): void
  /** The error for a change refused before, or undefined. */
  check (hash: string, docId: string): FlotillaError | undefined
}

export function createRefusedChanges (max = MAX_REFUSED_REMEMBERED): RefusedChanges {
  const hashes = new Set<string>()
  return {
    remember (list) {
      for (const h of list) {
        if (hashes.size >= max) hashes.delete(hashes.values().next().value as string)
        hashes.add(h)
      }
    },
    check (hash, docId) {
      if (!hashes.has(hash)) return undefined
      return new FlotillaError('malformed', `change ${hash} to "${docId}" was refused before: Automerge cannot decode it`,
        'Its author signed bytes that are not an Automerge change; it is recorded as evidence.')
    }
  }
}
