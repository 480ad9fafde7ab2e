/**
 * Reading the dashboard endpoints' query parameters. Every bad value is refused with
 * `input-invalid` naming the parameter, the rule and the value, so a mistyped link
 * fails with an answer instead of showing a silently different page.
 */
import { FlotillaError } from '../../model/errors.ts'

function invalid (name: string, rule: string, value: string): FlotillaError {
  return new FlotillaError('input-invalid', `'${name}' must be ${rule}: received ${JSON.stringify(value)}`,
    `Fix or drop the '${name}' query parameter.`, { details: { parameter: name, value } })
}

/** A whole number in [min, max]; `fallback` when absent or empty. */
export function intParam (q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^\d{1,9}$/.test(raw)) throw invalid(name, `a whole number from ${min} to ${max}`, raw)
  const n = Number(raw)
  if (n < min || n > max) throw invalid(name, `a whole number from ${min} to ${max}`, raw)
  return n
}

/** One of `allowed`; `undefined` when absent or empty. */
export function enumParam<T extends string> (q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const raw = q.get(name)
  if (raw === null || raw === '') return undefined
  if (!(allowed as readonly string[]).includes(raw)) throw invalid(name, `one of ${allowed.join(', ')}`, raw)
  return raw as T
}

/** `1`/`true` or `0`/`false`; `false` when absent. */
export function flagParam (q: URLSearchParams, name: string): boolean {
  const raw = q.get(name)
  if (raw === null || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw invalid(name, '1, true, 0 or false', raw)
}

/** A free-text value of at most `max` characters, trimmed; `undefined` when absent or blank. */
export function textParam (q: URLSearchParams, name: string, max = 200): string | undefined {
  const raw = q.get(name)
  if (raw === null) return undefined
  const t = raw.trim()
  if (t === '') return undefined
  if (t.length > max) throw invalid(name, `at most ${max} characters`, `${t.slice(0, 40)}…`)
  return t
}

/** A comma-separated list of values from `allowed`; `undefined` when absent or empty. */
export function listParam<T extends string> (q: URLSearchParams, name: string, allowed: readonly T[]): T[] | undefined {
  const raw = q.get(name)
  if (raw === null || raw.trim() === '') return undefined
  const out: T[] = []
  for (const part of raw.split(',')) {
    const v = part.trim()
    if (!(allowed as readonly string[]).includes(v)) throw invalid(name, `a comma-separated list of ${allowed.join(', ')}`, raw)
    out.push(v as T)
  }
  return out
}
