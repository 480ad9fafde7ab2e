/**
 * Turns what a site's API refused into the CLI's typed errors: each Kubernetes Status
 * (401, 403, 404, 409, 422, 503...) becomes a `FlotillaError` with the code whose exit
 * status docs/operations.md lists, the site's own message, and a hint for an operator.
 * Field errors of a 422 travel in `details.causes` so `apply` can print one per field.
 */
import { FlotillaError, type ErrorCode } from '../../model/errors.ts'

export interface FieldCause {
  field?: string
  reason?: string
  message: string
}

export interface StatusBody {
  kind?: string
  code?: number
  reason?: string
  message?: string
  details?: { name?: string, group?: string, kind?: string, causes?: FieldCause[] }
}

export interface RequestSubject {
  /** The kubeconfig used, for hints. */
  kubeconfig: string
  /** The user of the kubeconfig, for messages. */
  user: string
  method: string
  path: string
}

function asStatus (body: unknown): StatusBody {
  return typeof body === 'object' && body !== null ? body as StatusBody : {}
}

/** The field errors a Status carries (422 Invalid), possibly none. */
export function causesOf (e: unknown): FieldCause[] {
  if (!(e instanceof FlotillaError)) return []
  const causes = e.details?.['causes']
  return Array.isArray(causes) ? causes as FieldCause[] : []
}

export function errorFromStatus (httpCode: number, body: unknown, subject: RequestSubject): FlotillaError {
  const s = asStatus(body)
  const message = typeof s.message === 'string' && s.message !== '' ? s.message : `${subject.method} ${subject.path} failed with HTTP ${httpCode}`
  const causes = Array.isArray(s.details?.causes) ? s.details.causes : []
  const details = { httpCode, reason: s.reason, causes, path: subject.path }
  const make = (code: ErrorCode, hint: string, text = message): FlotillaError => new FlotillaError(code, text, hint, { details })
  switch (httpCode) {
    case 401:
      return make('unauthenticated', `Use a kubeconfig this site issued (<dataDir>/pki/kubeconfigs/<role>.yaml); kubeconfigs issued before its credentials were recreated no longer work (kubeconfig: ${subject.kubeconfig}).`,
        `the site refused the credentials of user "${subject.user}" (401 Unauthorized)`)
    case 403:
      if (causes.some((c) => c.reason === 'OriginMismatch')) {
        return make('origin-mismatch', 'Change or delete the object at the site that created it (--site <origin> or its kubeconfig); the message names it.')
      }
      return make('forbidden', 'Use a kubeconfig whose role may do this: admin writes workloads and policies, auditor reads local-only records and the compliance report, viewer only reads.')
    case 404:
      return make('not-found', 'Check the kind, name and namespace (-n); `flotilla get workloads` lists what the site knows.')
    case 409:
      return s.reason === 'AlreadyExists'
        ? make('already-exists', 'Use `flotilla apply -f` to change an existing object.')
        : make('conflict', 'Someone else changed or owns those fields: re-run, or take them over with `flotilla apply --force-conflicts`.')
    case 400: case 405: case 415: case 422:
      return make('input-invalid', causes.length > 0 ? 'Fix the fields listed above and apply again.' : 'Check the manifest or the command arguments.')
    case 413:
      return make('oversized', 'Split the manifest into smaller objects (the API takes at most 3 MiB per request).')
    case 429:
      return make('rate-limited', 'The site is shedding load: wait a moment and retry.')
    case 503: case 504:
      return make('site-unreachable', 'The site is up but not serving yet (starting, stopping, or its store is closed): retry shortly, or check its logs.')
    default:
      return make('internal', 'The site failed to answer; check its logs (structured JSON) for the error.', `${message} (HTTP ${httpCode})`)
  }
}
