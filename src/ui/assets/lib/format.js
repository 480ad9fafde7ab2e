// @ts-check
/** Number, size, time and health formatting for the dashboard, in plain words. */

/** @param {number} ms */
export function duration (ms) {
  if (!Number.isFinite(ms)) return 'never'
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const hrs = Math.floor(m / 60)
  if (hrs < 48) return `${hrs} h ${m % 60} min`
  return `${Math.floor(hrs / 24)} d`
}

/** @param {number} at wall ms @param {number} [now] */
export function ago (at, now = Date.now()) {
  return `${duration(now - at)} ago`
}

/** @param {number} at wall ms */
export function timestamp (at) {
  return new Date(at).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

/** @param {number} n */
export function count (n) {
  return n.toLocaleString('en-US')
}

/** @param {number} bytes */
export function bytes (bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = bytes
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`
}

/** @param {number} milli */
export function cores (milli) {
  const c = milli / 1000
  return `${c >= 100 ? Math.round(c) : Number(c.toFixed(1))}`
}

/** @param {number} used @param {number} total */
export function percent (used, total) {
  if (total <= 0) return 0
  return Math.min(100, Math.max(0, (used / total) * 100))
}

/** Glyph per site health, so health never depends on colour alone. */
export const HEALTH_GLYPH = /** @type {Record<string, string>} */ ({
  self: '★', alive: '●', suspect: '◐', failed: '✕', recovering: '↻', unknown: '?',
  Ready: '●', NotReady: '✕', Unknown: '?'
})

/** @param {string} health */
export function healthText (health) {
  return health === 'self' ? 'this site' : health
}

/** @param {string} phase */
export function phaseText (phase) {
  return phase === 'LocalOnly' ? 'local-only' : phase
}
