/**
 * How an object that failed reads in `apply` and `delete` output: one line with the
 * error code, the object and where it came from, then one line per field the site
 * named in its 422 Status — `  - spec.replicas: Invalid value: -2: ...` — so a
 * manifest with several mistakes shows all of them at once.
 */
import { isFlotillaError } from '../../model/errors.ts'
import { causesOf } from '../client/status-errors.ts'

export function objectErrorText (label: string, source: string, e: unknown): string {
  const code = isFlotillaError(e) ? e.code : 'internal'
  const message = e instanceof Error ? e.message : String(e)
  // Only an Invalid object lists fields; other refusals (403 by origin...) carry causes too, but their message says it all.
  const causes = code === 'input-invalid' ? causesOf(e) : []
  if (causes.length === 0) return `error[${code}]: ${label} (${source}): ${message}\n`
  const fields = causes.map((c) => `  - ${c.field ?? '(object)'}: ${c.message}\n`).join('')
  return `error[${code}]: ${label} (${source}) is invalid:\n${fields}`
}
