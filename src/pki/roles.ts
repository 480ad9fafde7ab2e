/**
 * The roles a user of a site's Kubernetes-compatible API can hold, and how a role travels
 * in credentials: the organisation (O) of a client certificate is `flotilla:<role>`, and
 * a bearer token's record names its role. Authorization (src/api/authorize.ts) decides
 * what each role may do; this module only names them.
 */

export const ROLES = ['admin', 'viewer', 'auditor'] as const
export type Role = typeof ROLES[number]

export function isRole (value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

/** Prefix of the certificate organisation that carries a role. */
export const ROLE_GROUP_PREFIX = 'flotilla:'

export function roleGroup (role: Role): string {
  return `${ROLE_GROUP_PREFIX}${role}`
}

/** The role named by a certificate organisation, if it names one. */
export function roleFromGroup (group: string): Role | undefined {
  if (!group.startsWith(ROLE_GROUP_PREFIX)) return undefined
  const role = group.slice(ROLE_GROUP_PREFIX.length)
  return isRole(role) ? role : undefined
}

/** The user name a site gives the credentials it issues for a role, e.g. `admin@eu-west`. */
export function roleUser (role: Role, siteId: string): string {
  return `${role}@${siteId}`
}
