/**
 * Typed errors. Every expected failure is a FlotillaError with a stable `code` that
 * callers branch on (never the message text) and a `hint` that tells the user what to
 * do. Where an error leaves the process (CLI exit status, HTTP Status), it is mapped in
 * one table: `errorExitCode` here and the API's status table.
 */

export type ErrorCode =
  // configuration and CLI input
  | 'config-invalid' | 'config-not-found' | 'input-invalid' | 'not-found' | 'already-exists'
  // identity and keys
  | 'key-exists' | 'key-invalid' | 'key-permissions'
  // signed store
  | 'bad-signature' | 'unauthorized-writer' | 'actor-mismatch' | 'malformed' | 'oversized'
  | 'quarantine-full' | 'wrong-document' | 'writer-banned' | 'residency-violation'
  | 'corrupt-record' | 'storage-failed' | 'store-closed'
  // replication
  | 'frame-too-large' | 'unsupported-version' | 'rate-limited' | 'peer-refused'
  // clusters
  | 'cluster-unreachable' | 'apply-failed'
  // API and policies
  | 'unauthenticated' | 'forbidden' | 'conflict' | 'origin-mismatch' | 'unsatisfiable-policy'
  // runtime
  | 'site-unreachable' | 'timed-out' | 'node-too-old' | 'port-in-use' | 'addon-unavailable' | 'internal'
  // simulator
  | 'sim-runaway'

export interface FlotillaErrorOptions {
  cause?: unknown
  /** Structured context for logs and API Status details (field paths, ids). */
  details?: Record<string, unknown>
}

export class FlotillaError extends Error {
  readonly code: ErrorCode
  readonly hint: string
  readonly details: Record<string, unknown> | undefined

  constructor (code: ErrorCode, message: string, hint: string, options: FlotillaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlotillaError'
    this.code = code
    this.hint = hint
    this.details = options.details
  }
}

export function isFlotillaError (e: unknown, code?: ErrorCode): e is FlotillaError {
  return e instanceof FlotillaError && (code === undefined || e.code === code)
}

/** Process exit status per error family; documented in docs/operations.md. */
export function errorExitCode (code: ErrorCode): number {
  switch (code) {
    case 'config-invalid': case 'config-not-found': case 'input-invalid':
    case 'unsatisfiable-policy':
      return 2
    // bin/flotilla.js exits with it before any TypeScript loads; listed here so the table is whole.
    case 'node-too-old': return 3
    case 'not-found': return 4
    case 'already-exists': case 'key-exists': case 'conflict': case 'origin-mismatch': return 5
    case 'unauthenticated': case 'forbidden': return 6
    case 'site-unreachable': case 'cluster-unreachable': case 'peer-refused': case 'timed-out': return 7
    case 'key-invalid': case 'key-permissions': case 'corrupt-record': case 'storage-failed': return 8
    case 'residency-violation': return 9
    default: return 1
  }
}
