/**
 * The site's HTTP endpoint for pull-mode agents, as a plain `(req, res) => boolean`
 * handler: it answers requests under its prefix (default `/agent/v1`) and returns false
 * for anything else, so it can be mounted on the site's API server or on a listener of
 * its own. Every request must be signed by the agent key configured for a cluster
 * (`clusters[].agentKey`); an unknown key, a bad signature, a timestamp outside the skew
 * window or a replayed nonce is refused with 401, and a valid agent asking about any
 * cluster but its own gets 403, so an agent's credentials reach only its own assignments.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Clock } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import { FlotillaError } from '../model/errors.ts'
import { createVerifier, fromHex, toHex } from '../identity/keys.ts'
import { createReplayGuard, parseAgentAuthorization, verifyAgentRequest, type AgentCredentials } from './agent-auth.ts'
import { AGENT_PATH_PREFIX, agentReportSchema, type AgentReport, type AssignmentsResponse, type ReportResponse } from './agent-protocol.ts'
import type { PullDriver } from './pull-driver.ts'

export interface AgentEndpointCluster {
  name: string
  /** The agent's ed25519 public key, 64 hex characters (or raw bytes). */
  agentKey: string | Uint8Array
  driver: PullDriver
}

export interface AgentEndpointOptions {
  clusters: readonly AgentEndpointCluster[]
  clock: Clock
  logger: Logger
  /** Default `/agent/v1`. */
  pathPrefix?: string
  /** Largest accepted difference between an agent's timestamp and the site's wall clock. Default 120,000 ms. */
  maxSkewMs?: number
  /** Largest request body. Default 16 MiB. */
  maxBodyBytes?: number
  /** Longest long-poll wait granted. Default 30,000 ms. */
  maxWaitMs?: number
}

export type AgentEndpoint = ((req: IncomingMessage, res: ServerResponse) => boolean) & {
  /** Ends waiting long polls (call before closing the listener). */
  close (): void
}

class HttpFailure extends Error {
  readonly status: number
  readonly code: string
  readonly hint: string
  constructor (status: number, code: string, message: string, hint: string) {
    super(message)
    this.status = status
    this.code = code
    this.hint = hint
  }
}

function send (res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.end(); return }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' })
  res.end(text)
}

function readBody (req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        reject(new HttpFailure(413, 'oversized', `request body larger than ${limit} bytes`, 'The report is too large; the site limits agent bodies.'))
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

export function createAgentEndpoint (options: AgentEndpointOptions): AgentEndpoint {
  const { clock } = options
  const logger = options.logger.child({ component: 'agent-endpoint' })
  const prefix = options.pathPrefix ?? AGENT_PATH_PREFIX
  const maxSkewMs = options.maxSkewMs ?? 120_000
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024
  const maxWaitMs = options.maxWaitMs ?? 30_000
  const verify = createVerifier()
  const replay = createReplayGuard({ windowMs: maxSkewMs })
  const byKey = new Map<string, AgentEndpointCluster>()
  for (const c of options.clusters) {
    const keyHex = typeof c.agentKey === 'string' ? toHex(fromHex(c.agentKey, `clusters.${c.name}.agentKey`)) : toHex(c.agentKey)
    if (keyHex.length !== 64) throw new FlotillaError('config-invalid', `clusters.${c.name}.agentKey must be an ed25519 public key (32 bytes)`, 'Copy the key printed by `flotilla agent init`.')
    if (byKey.has(keyHex)) throw new FlotillaError('config-invalid', `clusters ${byKey.get(keyHex)?.name} and ${c.name} have the same agent key`, 'Give every pull-mode cluster its own agent key.')
    byKey.set(keyHex, c)
  }
  const waits = new Set<() => void>()

  const deny = (message: string, hint: string): HttpFailure => new HttpFailure(401, 'unauthenticated', message, hint)

  /** Checks that need no body, so a stranger cannot make the site read megabytes. */
  function precheck (req: IncomingMessage): { cluster: AgentEndpointCluster, creds: AgentCredentials } {
    const creds = parseAgentAuthorization(req.headers.authorization)
    if (creds === undefined) throw deny('missing or malformed Flotilla-Agent authorization', 'Agents sign every request with their key; use `flotilla agent`.')
    const cluster = byKey.get(creds.keyHex)
    if (cluster === undefined) throw deny('unknown agent key', 'Add the agent\'s public key to clusters[].agentKey in the site config.')
    if (Math.abs(clock.wallMs() - creds.timestampMs) > maxSkewMs) {
      throw deny(`request timestamp is more than ${Math.round(maxSkewMs / 1000)} s from the site's clock`, 'Synchronise the clocks of the agent and the site (NTP).')
    }
    return { cluster, creds }
  }

  /** The signature over method, path and body, then the nonce: the request is the agent's, and new. */
  function authenticate (req: IncomingMessage, path: string, body: Uint8Array, creds: AgentCredentials): void {
    if (!verifyAgentRequest(verify, creds, { method: req.method ?? 'GET', path, body })) throw deny('bad request signature', 'The request was altered, or signed with another key.')
    const verdict = replay.check(creds.keyHex, creds.nonce, creds.timestampMs, clock.wallMs())
    if (verdict === 'replayed') throw deny('replayed request (nonce already used)', 'Every request needs a fresh nonce; a replayed request is refused.')
    if (verdict === 'stale') throw deny('request timestamp outside the replay window', 'Synchronise the clocks of the agent and the site (NTP).')
    if (verdict === 'full') throw new HttpFailure(503, 'rate-limited', 'too many recent agent requests to track', 'Retry later.')
  }

  async function serve (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const rawPath = req.url ?? '/'
    const { cluster: caller, creds } = precheck(req)
    const body = await readBody(req, maxBodyBytes)
    authenticate(req, rawPath, body, creds)
    const m = /^\/clusters\/([^/]+)\/(assignments|status)$/.exec(url.pathname.slice(prefix.length))
    if (m === null) throw new HttpFailure(404, 'not-found', `no agent resource at ${url.pathname}`, `Agent paths are ${prefix}/clusters/<cluster>/assignments and .../status.`)
    const clusterName = decodeURIComponent(m[1] as string)
    if (clusterName !== caller.name) {
      logger.warn({ agentCluster: caller.name, requested: clusterName }, 'an agent asked for another cluster')
      throw new HttpFailure(403, 'forbidden', `the agent of cluster ${caller.name} may not access cluster ${clusterName}`, 'An agent reads and reports only its own cluster.')
    }
    const driver = caller.driver
    if (m[2] === 'assignments') {
      if (req.method !== 'GET') throw new HttpFailure(405, 'input-invalid', `${req.method ?? ''} is not allowed on assignments`, 'Use GET.')
      const after = url.searchParams.get('after')
      const waitMs = Math.min(maxWaitMs, Math.max(0, Number(url.searchParams.get('waitMs') ?? 0) || 0))
      if ((after !== null || !driver.assignments().declared) && waitMs > 0) {
        const wait = driver.waitForAssignments(after ?? '', waitMs)
        const cancel = wait.cancel
        waits.add(cancel)
        const onClose = (): void => cancel()
        res.once('close', onClose)
        await wait.promise
        waits.delete(cancel)
        res.off('close', onClose)
        if (res.destroyed) return
      }
      const current = driver.assignments()
      if (!current.declared) {
        // An empty set would make the agent prune everything the cluster runs.
        throw new HttpFailure(503, 'assignments-pending', `the site has not decided yet what cluster ${caller.name} runs`,
          'The site is starting and waits for this agent\'s first report; the agent keeps what it applies and asks again.')
      }
      const out: AssignmentsResponse = { cluster: caller.name, revision: current.revision, objects: [...current.objects] }
      send(res, 200, out)
      return
    }
    if (req.method !== 'POST') throw new HttpFailure(405, 'input-invalid', `${req.method ?? ''} is not allowed on status`, 'Use POST.')
    let json: unknown
    try { json = JSON.parse(Buffer.from(body).toString('utf8')) } catch {
      throw new HttpFailure(400, 'malformed', 'the report is not JSON', 'Send the report as produced by `flotilla agent`.')
    }
    const parsed = agentReportSchema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new HttpFailure(400, 'malformed', `invalid report at ${issue?.path.join('.') ?? '(root)'}: ${issue?.message ?? 'invalid'}`, 'Send the report as produced by `flotilla agent`.')
    }
    driver.acceptReport(parsed.data as AgentReport)
    const out: ReportResponse = { revision: driver.assignments().revision }
    send(res, 200, out)
  }

  const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://agent-endpoint')
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false
    serve(req, res, url).catch((e: unknown) => {
      if (e instanceof HttpFailure) {
        send(res, e.status, { code: e.code, message: e.message, hint: e.hint })
        if (e.status === 401) logger.warn({ path: url.pathname, reason: e.message }, 'refused an agent request')
        return
      }
      logger.error({ err: e instanceof Error ? e.message : String(e) }, 'agent endpoint failed')
      send(res, 500, { code: 'internal', message: 'internal error', hint: 'See the site log.' })
    })
    return true
  }
  return Object.assign(handler, {
    close () {
      for (const cancel of [...waits]) cancel()
      waits.clear()
    }
  })
}
