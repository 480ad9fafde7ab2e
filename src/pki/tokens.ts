/**
 * Bearer tokens for the API. A token is 32 random bytes, written out once (in the user's
 * kubeconfig); the site keeps only its SHA-256 with the user and role, so a copy of the
 * site's files does not hand out API access. Lookups hash the presented token and
 * compare digests in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { FlotillaError } from '../model/errors.ts'
import { isRole, type Role } from './roles.ts'

export interface TokenRecord {
  user: string
  role: Role
  /** Hex SHA-256 of the token. */
  sha256: string
}

export interface TokenFile {
  version: 1
  tokens: TokenRecord[]
}

/** A new token, e.g. `flt_admin_3q2...`: the role in the prefix only helps a human tell tokens apart. */
export function generateToken (role: Role): string {
  return `flt_${role}_${randomBytes(32).toString('base64url')}`
}

export function hashToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function tokenRecord (token: string, user: string, role: Role): TokenRecord {
  return { user, role, sha256: hashToken(token) }
}

/** Finds the record of a presented token. */
export function findToken (records: readonly TokenRecord[], token: string): TokenRecord | undefined {
  const digest = Buffer.from(hashToken(token), 'hex')
  let found: TokenRecord | undefined
  for (const r of records) {
    const stored = Buffer.from(r.sha256, 'hex')
    // Every record is compared, so timing tells nothing about which one matched.
    if (stored.length === digest.length && timingSafeEqual(stored, digest) && found === undefined) found = r
  }
  return found
}

/** Parses a token file, naming the first bad entry. */
export function parseTokenFile (text: string, path: string): TokenFile {
  const bad = (why: string): FlotillaError => new FlotillaError('corrupt-record', `token file ${path} is unreadable: ${why}`,
    'Restore it from a backup, or recreate the site\'s credentials (flotilla init --force issues new ones).', { details: { path } })
  let raw: unknown
  try { raw = JSON.parse(text) } catch (e) { throw bad((e as Error).message) }
  const file = raw as Partial<TokenFile>
  if (file?.version !== 1 || !Array.isArray(file.tokens)) throw bad('expected {"version": 1, "tokens": [...]}')
  file.tokens.forEach((t, i) => {
    if (typeof t?.user !== 'string' || !isRole(t.role) || typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) {
      throw bad(`tokens[${i}] needs user, role (admin, viewer or auditor) and sha256 (64 hex characters)`)
    }
  })
  return file as TokenFile
}
