/**
 * The one table from Flotilla error codes to Kubernetes Status (HTTP code and reason),
 * and the conversion of anything a handler throws into the Status sent back: a
 * `KubeApiError` keeps its Status, a `FlotillaError` is mapped here (invalid objects
 * list each bad field in `details.causes`), anything else is a 500 InternalError.
 */
import type { ErrorCode } from '../model/errors.ts'
import { isFlotillaError } from '../model/errors.ts'
import { isKubeApiError, type StatusCause } from '../k8s/index.ts'

/** A Status object as sent on the wire. */
export interface ApiStatus {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message: string
  reason: string
  details?: { name?: string, group?: string, kind?: string, uid?: string, causes?: StatusCause[], retryAfterSeconds?: number }
  code: number
}

/**
 * HTTP code and reason per error code. `origin-mismatch` is a 403, not a 409: the write
 * is refused for where it was made, not for a stale version, and a 409 would make
 * kubectl retry or suggest `--force-conflicts`, neither of which can succeed.
 */
export const ERROR_STATUS: Partial<Record<ErrorCode, { code: number, reason: string }>> = {
  'input-invalid': { code: 422, reason: 'Invalid' },
  'unsatisfiable-policy': { code: 422, reason: 'Invalid' },
  'residency-violation': { code: 422, reason: 'Invalid' },
  malformed: { code: 400, reason: 'BadRequest' },
  'not-found': { code: 404, reason: 'NotFound' },
  'already-exists': { code: 409, reason: 'AlreadyExists' },
  conflict: { code: 409, reason: 'Conflict' },
  'origin-mismatch': { code: 403, reason: 'Forbidden' },
  unauthenticated: { code: 401, reason: 'Unauthorized' },
  forbidden: { code: 403, reason: 'Forbidden' },
  oversized: { code: 413, reason: 'RequestEntityTooLarge' },
  'rate-limited': { code: 429, reason: 'TooManyRequests' },
  'store-closed': { code: 503, reason: 'ServiceUnavailable' },
  'site-unreachable': { code: 503, reason: 'ServiceUnavailable' }
}

const INTERNAL = { code: 500, reason: 'InternalError' }

export function failure (code: number, reason: string, message: string, details?: ApiStatus['details']): ApiStatus {
  const s: ApiStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
  if (details !== undefined) s.details = details
  return s
}

/** What a failed request was about, for the Status details and messages. */
export interface StatusContext {
  /** Plural resource, e.g. `deployments`. */
  plural: string
  group: string
  kind: string
  name?: string
}

function qualified (c: StatusContext): string {
  return c.group === '' ? c.plural : `${c.plural}.${c.group}`
}

/** Field errors carried by a FlotillaError (`details.causes` as `{path, message}`) as Status causes. */
function causesOf (details: Record<string, unknown> | undefined): StatusCause[] {
  const raw = details?.['causes']
  if (!Array.isArray(raw)) return []
  return raw.flatMap((c: unknown): StatusCause[] => {
    if (typeof c !== 'object' || c === null) return []
    const r = c as { path?: unknown, field?: unknown, message?: unknown, reason?: unknown }
    const field = typeof r.field === 'string' ? r.field : typeof r.path === 'string' ? r.path : undefined
    return [{ reason: typeof r.reason === 'string' ? r.reason : 'FieldValueInvalid', message: String(r.message ?? 'invalid'), ...(field === undefined ? {} : { field }) }]
  })
}

/**
 * The Status for a 422 naming every bad field, worded like the apiserver's; `why` (e.g.
 * that a policy cannot be satisfied) goes before the fields. kubectl prints the causes.
 */
export function invalidStatus (c: StatusContext, causes: StatusCause[], why?: string): ApiStatus {
  const kind = c.group === '' ? c.kind : `${c.kind}.${c.group}`
  const summary = causes.map((x) => `${x.field ?? ''}: ${x.message}`).join(', ')
  const name = c.name ?? ''
  const fields = causes.length === 1 ? summary : `[${summary}]`
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${why === undefined ? '' : `${why}: `}${fields}`, { name, group: c.group, kind: c.kind, causes })
}

/** Converts a thrown value into the Status to send. */
export function statusOf (e: unknown, context?: StatusContext): ApiStatus {
  if (e instanceof StatusError) return e.status
  if (isKubeApiError(e)) return e.status as ApiStatus
  if (!isFlotillaError(e)) return failure(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`)
  const { code, reason } = ERROR_STATUS[e.code] ?? INTERNAL
  const base = context === undefined ? {} : { group: context.group, kind: context.plural, ...(context.name === undefined ? {} : { name: context.name }) }
  if (reason === 'Invalid') {
    const causes = causesOf(e.details)
    if (context !== undefined && causes.length > 0) return invalidStatus(context, causes, e.code === 'unsatisfiable-policy' ? 'the policy cannot be satisfied' : undefined)
    return failure(code, reason, `${e.message}. ${e.hint}`, { ...base, causes })
  }
  if (e.code === 'origin-mismatch' && context !== undefined) {
    const origin = String(e.details?.['origin'] ?? 'another site')
    return failure(code, reason, `${qualified(context)} "${context.name ?? ''}" is forbidden: it was created at site "${origin}" and only that site may change it. ${e.hint}`,
      { ...base, causes: [{ reason: 'OriginMismatch', message: `owned by site "${origin}"`, field: 'metadata.annotations[flotilla.io/origin]' }] })
  }
  if (code === 500) return failure(code, reason, `Internal error occurred: ${e.message}`, base)
  return failure(code, reason, `${e.message}. ${e.hint}`, base)
}

/** Carries a ready Status through a handler's throw. */
export class StatusError extends Error {
  readonly status: ApiStatus

  constructor (status: ApiStatus) {
    super(status.message)
    this.name = 'StatusError'
    this.status = status
  }
}
