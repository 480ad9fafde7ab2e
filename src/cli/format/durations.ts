/**
 * Times as the CLI reads and writes them: `--timeout`/`--since` durations (`500ms`,
 * `30s`, `5m`, `1h30m`, or bare seconds), ages worded like kubectl's (`45s`, `3m12s`,
 * `5h`, `2d`), and RFC 3339 timestamps at second precision.
 */
import { FlotillaError } from '../../model/errors.ts'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds in a duration flag; refuses anything else with the flag's name. */
export function parseDuration (flag: string, value: string): number {
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
  if (v === '' || parts.length === 0 || parts.map((p) => p[0]).join('') !== v) {
    throw new FlotillaError('input-invalid', `'--${flag}' must be a duration such as 30s, 5m or 1h30m: received ${JSON.stringify(value)}`,
      `Write a number with a unit (ms, s, m, h, d), e.g. --${flag} 30s.`)
  }
  return Math.round(parts.reduce((n, p) => n + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0))
}

/** A duration in kubectl's short style. */
export function humanAge (ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 0) return '0s'
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  if (h < 48) return `${h}h`
  const d = Math.floor(h / 24)
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`
  return `${d}d`
}

/** RFC 3339 at second precision, UTC. */
export function isoTime (ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '<unknown>'
}
