/**
 * Kubernetes API errors as the emulator raises them: a `KubeApiError` carries the exact
 * `Status` object a kube-apiserver would return (code, reason, message, details with
 * causes), so the HTTP layer only serialises it and in-process callers (the simulator)
 * can branch on `status.reason` just as a client-node caller branches on the body.
 */
import { FlotillaError, type ErrorCode } from '../model/errors.ts'

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Expired'
  | 'Invalid' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType' | 'InternalError'
  | 'ServiceUnavailable' | 'Timeout' | 'RequestEntityTooLarge'

export interface StatusCause {
  reason: string
  message: string
  field?: string
}

export interface KubeStatus {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message: string
  reason: StatusReason | ''
  details?: { name?: string, group?: string, kind?: string, uid?: string, causes?: StatusCause[], retryAfterSeconds?: number }
  code: number
}

/** What a request was about, for the `details` of its Status. */
export interface StatusSubject {
  /** Plural resource name, e.g. `deployments`. */
  kind: string
  group: string
  name?: string
}

function errorCodeFor (reason: StatusReason): ErrorCode {
  switch (reason) {
    case 'NotFound': return 'not-found'
    case 'AlreadyExists': return 'already-exists'
    case 'Conflict': case 'Expired': case 'Gone': return 'conflict'
    case 'Unauthorized': return 'unauthenticated'
    case 'Forbidden': return 'forbidden'
    case 'ServiceUnavailable': case 'Timeout': return 'cluster-unreachable'
    case 'InternalError': return 'internal'
    default: return 'input-invalid'
  }
}

const HINTS: Partial<Record<StatusReason, string>> = {
  NotFound: 'Check the name, namespace and kind; list the collection to see what exists.',
  AlreadyExists: 'Use update, patch or server-side apply to change an existing object.',
  Conflict: 'Read the latest version and retry, or (server-side apply) take ownership with force.',
  Expired: 'The watch history no longer holds that resourceVersion: list again and watch from the new version.',
  Invalid: 'Fix the fields named in details.causes.'
}

export class KubeApiError extends FlotillaError {
  readonly status: KubeStatus

  constructor (status: KubeStatus) {
    const reason = status.reason === '' ? 'InternalError' : status.reason
    super(errorCodeFor(reason), status.message, HINTS[reason] ?? 'See the Status message.', { details: { status } })
    this.name = 'KubeApiError'
    this.status = status
  }
}

export function isKubeApiError (e: unknown, reason?: StatusReason): e is KubeApiError {
  return e instanceof KubeApiError && (reason === undefined || e.status.reason === reason)
}

export function statusError (code: number, reason: StatusReason, message: string, details?: KubeStatus['details']): KubeApiError {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
  if (details !== undefined) status.details = details
  return new KubeApiError(status)
}

/** `deployments.apps` for named groups, `pods` for the core group, as the apiserver writes it. */
export function qualifiedResource (s: StatusSubject): string {
  return s.group === '' ? s.kind : `${s.kind}.${s.group}`
}

export function notFound (s: StatusSubject, name: string): KubeApiError {
  return statusError(404, 'NotFound', `${qualifiedResource(s)} "${name}" not found`, { name, group: s.group, kind: s.kind })
}

export function alreadyExists (s: StatusSubject, name: string): KubeApiError {
  return statusError(409, 'AlreadyExists', `${qualifiedResource(s)} "${name}" already exists`, { name, group: s.group, kind: s.kind })
}

export function staleConflict (s: StatusSubject, name: string): KubeApiError {
  return statusError(409, 'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(s)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: s.group, kind: s.kind })
}

export function badRequest (message: string): KubeApiError {
  return statusError(400, 'BadRequest', message)
}

/** A 422 naming every bad field, e.g. `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: ...`. */
export function invalid (kind: string, group: string, name: string, causes: StatusCause[]): KubeApiError {
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`
  const summary = causes.map((c) => `${c.field ?? ''}: ${c.message}`).join(', ')
  const message = causes.length === 1
    ? `${qualifiedKind} "${name}" is invalid: ${summary}`
    : `${qualifiedKind} "${name}" is invalid: [${summary}]`
  return statusError(422, 'Invalid', message, { name, group, kind, causes })
}

export function expired (requested: number, oldest: number): KubeApiError {
  return statusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`)
}

export function methodNotAllowed (message: string): KubeApiError {
  return statusError(405, 'MethodNotAllowed', message)
}

export function successStatus (details?: KubeStatus['details']): KubeStatus {
  const s: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', code: 200 }
  if (details !== undefined) s.details = details
  return s
}
