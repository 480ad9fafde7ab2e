/**
 * Who is calling, and what they may do. Authentication accepts a client certificate
 * signed by the site's CA whose organisation names a role (`flotilla:admin`), or a bearer
 * token whose hash the site holds. Authorization is by role: `admin` writes workloads and
 * policies at this site; `viewer` reads the global view; `auditor` reads it too, plus this
 * site's local-only records, which `admin` (who writes them) also reads. Refusals are
 * Statuses worded like the apiserver's, naming the user, role and verb.
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { findToken, roleFromGroup, type Role, type TokenRecord } from '../pki/index.ts'
import { isWritable, type ApiResource, type Verb } from './resources.ts'
import { failure, type ApiStatus } from './status-table.ts'

export interface Identity {
  user: string
  role: Role
  via: 'certificate' | 'token'
}

export type Authenticator = (req: IncomingMessage) => Identity | undefined

function asList (v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function fromCertificate (req: IncomingMessage): Identity | undefined {
  const socket = req.socket as Partial<TLSSocket>
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined
  const cert = socket.getPeerCertificate()
  const subject = cert?.subject as unknown as Record<string, string | string[] | undefined> | undefined
  if (subject === undefined) return undefined
  const role = asList(subject['O']).map(roleFromGroup).find((r) => r !== undefined)
  const user = asList(subject['CN'])[0]
  return role === undefined || user === undefined ? undefined : { user, role, via: 'certificate' }
}

export function createAuthenticator (tokens: readonly TokenRecord[]): Authenticator {
  return (req) => {
    const byCert = fromCertificate(req)
    if (byCert !== undefined) return byCert
    const header = req.headers.authorization
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (m === null) return undefined
    const record = findToken(tokens, m[1] as string)
    return record === undefined ? undefined : { user: record.user, role: record.role, via: 'token' }
  }
}

export const UNAUTHORIZED: ApiStatus = failure(401, 'Unauthorized', 'Unauthorized: present a client certificate issued by this site\'s CA or a bearer token of this site (see the kubeconfigs written by flotilla init)')

/** Whether the role may see the content of this site's local-only records. */
export function readsLocalOnly (role: Role): boolean {
  return role === 'admin' || role === 'auditor'
}

const ROLE_VERBS: Record<Role, string> = {
  admin: 'may get, list and watch everything, and create, update, patch and delete workloads and policies at this site',
  viewer: 'may only get, list and watch the global view',
  auditor: 'may only get, list and watch (the global view and this site\'s local-only records)'
}

export interface AccessRequest {
  verb: Verb
  resource: ApiResource
  namespace: string | undefined
  name: string | undefined
}

/** Undefined when allowed; otherwise the 403 Status to send. */
export function authorize (who: Identity, req: AccessRequest): ApiStatus | undefined {
  const write = req.verb !== 'get' && req.verb !== 'list' && req.verb !== 'watch'
  if (!write) return undefined
  if (who.role === 'admin' && isWritable(req.resource)) return undefined
  const r = req.resource
  const qualified = r.group === '' ? r.plural : `${r.plural}.${r.group}`
  const target = req.name === undefined ? qualified : `${qualified} "${req.name}"`
  const scope = req.namespace === undefined ? 'at the cluster scope' : `in the namespace "${req.namespace}"`
  const why = who.role === 'admin' ? `${r.kind} objects are read-only: they come from the sites' own reports` : `role "${who.role}" ${ROLE_VERBS[who.role]}`
  return failure(403, 'Forbidden', `${target} is forbidden: User "${who.user}" (role "${who.role}") cannot ${req.verb} resource "${r.plural}" in API group "${r.group}" ${scope}: ${why}`,
    { group: r.group, kind: r.plural, ...(req.name === undefined ? {} : { name: req.name }) })
}
