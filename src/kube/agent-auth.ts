/**
 * How a pull-mode agent proves who it is to its site: every request carries an ed25519
 * signature by the agent's key (context `flotilla/agent/v1`) over the method, the path
 * with its query, the SHA-256 of the body, a wall-clock timestamp, a random nonce and the
 * key itself, in one `Authorization: Flotilla-Agent ...` header. The site accepts a
 * request only from a key in its config, with a timestamp within the allowed skew and a
 * nonce it has not seen within that window, so a captured request cannot be replayed
 * and a signature cannot be moved to another path or body.
 */
import { createHash } from 'node:crypto'
import { fromHex, toHex, type Signer, type Verify } from '../identity/keys.ts'

export const AGENT_AUTH_SCHEME = 'Flotilla-Agent'
const encoder = new TextEncoder()

export interface AgentRequestParts {
  method: string
  /** Path and query exactly as sent (`/agent/v1/clusters/a/assignments?after=x`). */
  path: string
  body: Uint8Array
  /** Wall-clock ms of the signer. */
  timestampMs: number
  /** 16 to 64 lower-case hex characters, fresh for every request. */
  nonce: string
}

export interface AgentCredentials {
  keyHex: string
  timestampMs: number
  nonce: string
  signature: Uint8Array
}

export function bodyHash (body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex')
}

/** The bytes an agent signs (the signature context is added by the signer). */
export function agentRequestMessage (p: AgentRequestParts, keyHex: string): Uint8Array {
  return encoder.encode(['flotilla-agent-request', p.method.toUpperCase(), p.path, bodyHash(p.body), String(p.timestampMs), p.nonce, keyHex].join('\n'))
}

/** The `Authorization` header value for a request. */
export function signAgentRequest (signer: Signer, p: AgentRequestParts): string {
  const sig = signer.sign('flotilla/agent/v1', agentRequestMessage(p, signer.publicKeyHex))
  return `${AGENT_AUTH_SCHEME} key=${signer.publicKeyHex}, ts=${p.timestampMs}, nonce=${p.nonce}, sig=${Buffer.from(sig).toString('base64url')}`
}

/** Parses the header; undefined when it is absent or malformed. */
export function parseAgentAuthorization (header: string | undefined): AgentCredentials | undefined {
  if (header === undefined || !header.startsWith(`${AGENT_AUTH_SCHEME} `)) return undefined
  const fields = new Map<string, string>()
  for (const part of header.slice(AGENT_AUTH_SCHEME.length + 1).split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) return undefined
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const keyHex = fields.get('key')
  const ts = fields.get('ts')
  const nonce = fields.get('nonce')
  const sig = fields.get('sig')
  if (keyHex === undefined || !/^[0-9a-f]{64}$/.test(keyHex)) return undefined
  if (ts === undefined || !/^\d{1,16}$/.test(ts)) return undefined
  if (nonce === undefined || !/^[0-9a-f]{16,64}$/.test(nonce)) return undefined
  if (sig === undefined || !/^[A-Za-z0-9_-]{86}$/.test(sig)) return undefined
  return { keyHex, timestampMs: Number(ts), nonce, signature: new Uint8Array(Buffer.from(sig, 'base64url')) }
}

export function verifyAgentRequest (verify: Verify, creds: AgentCredentials, p: Omit<AgentRequestParts, 'timestampMs' | 'nonce'>): boolean {
  const message = agentRequestMessage({ ...p, timestampMs: creds.timestampMs, nonce: creds.nonce }, creds.keyHex)
  return verify(fromHex(creds.keyHex, 'agent key'), 'flotilla/agent/v1', message, creds.signature)
}

export type ReplayVerdict = 'fresh' | 'replayed' | 'stale' | 'full'

export interface ReplayGuard {
  /** Records the nonce if the request is fresh; call only after the signature checked out. */
  check (keyHex: string, nonce: string, timestampMs: number, nowWallMs: number): ReplayVerdict
  size (): number
}

/**
 * Remembers nonces for `windowMs` past their timestamp. Requests whose timestamp is more
 * than `windowMs` from now are `stale`, so nothing older than the window needs remembering.
 */
export function createReplayGuard (options: { windowMs: number, maxEntries?: number }): ReplayGuard {
  const windowMs = options.windowMs
  const maxEntries = options.maxEntries ?? 100_000
  const seen = new Map<string, number>()
  const prune = (now: number): void => {
    for (const [id, expiry] of seen) {
      if (expiry >= now) continue
      seen.delete(id)
    }
  }
  return {
    check (keyHex, nonce, timestampMs, nowWallMs) {
      if (Math.abs(nowWallMs - timestampMs) > windowMs) return 'stale'
      const id = `${keyHex}/${nonce}`
      const expiry = seen.get(id)
      if (expiry !== undefined && expiry >= nowWallMs) return 'replayed'
      if (seen.size >= maxEntries) {
        prune(nowWallMs)
        if (seen.size >= maxEntries) return 'full'
      }
      seen.set(id, timestampMs + windowMs)
      return 'fresh'
    },
    size: () => seen.size
  }
}

export function randomNonce (bytes: Uint8Array): string {
  return toHex(bytes)
}
