// @ts-check
/**
 * Talking to the site: JSON from `/ui/api/*`, and the live notice stream
 * (`/ui/events`, Server-Sent Events) that says when to refetch. EventSource reconnects
 * by itself; on every (re)connection the app refetches what it shows.
 */

export class ApiError extends Error {
  /** @param {string} message @param {number} status @param {string} [hint] */
  constructor (message, status, hint) {
    super(message)
    this.status = status
    this.hint = hint
  }
}

/**
 * @param {string} path e.g. `workloads`
 * @param {Record<string, string | number | boolean | undefined>} [params]
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function getJson (path, params = {}, signal) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && v !== false) q.set(k, String(v))
  const qs = q.toString()
  const res = await fetch(`/ui/api/${path}${qs === '' ? '' : `?${qs}`}`, { headers: { Accept: 'application/json' }, signal })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new ApiError(body.message ?? `${path} answered ${res.status}`, res.status, body.hint)
  return body
}

/**
 * @typedef {{
 *   onOpen: (hello: { site: string, version: number }) => void,
 *   onVersion: (version: number) => void,
 *   onStatus: (status: any) => void,
 *   onDown: () => void
 * }} LiveHandlers
 */

/** @param {LiveHandlers} handlers */
export function followLive (handlers) {
  const source = new EventSource('/ui/events')
  source.addEventListener('hello', (e) => handlers.onOpen(JSON.parse(/** @type {MessageEvent} */ (e).data)))
  source.addEventListener('version', (e) => handlers.onVersion(JSON.parse(/** @type {MessageEvent} */ (e).data).version))
  source.addEventListener('status', (e) => handlers.onStatus(JSON.parse(/** @type {MessageEvent} */ (e).data)))
  source.addEventListener('error', () => handlers.onDown())
  return source
}
