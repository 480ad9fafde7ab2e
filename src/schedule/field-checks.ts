/**
 * A small, pure field checker for policy validation: each check walks a value, appends
 * `{ path, message }` errors (path like `spec.placement.spreadConstraints[0].minGroups`)
 * and never throws, so the API layer can report every bad field at once. Messages name
 * the rule and the received value. Unknown fields are errors: a typo in a policy must
 * not silently mean "no constraint".
 */

export interface FieldError { path: string, message: string }

export type Check = (value: unknown, path: string, errs: FieldError[]) => void

export function child (path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

export function describe (v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)
  return `${typeof v} ${String(v)}`
}

export function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export interface StringRule { nonEmpty?: boolean, oneOf?: readonly string[], pattern?: RegExp, rule?: string, maxLength?: number }

export function str (rule: StringRule = {}): Check {
  return (v, path, errs) => {
    if (typeof v !== 'string') { errs.push({ path, message: `must be a string: received ${describe(v)}` }); return }
    if (rule.oneOf !== undefined && !rule.oneOf.includes(v)) {
      errs.push({ path, message: `must be one of ${rule.oneOf.join(', ')}: received ${describe(v)}` })
      return
    }
    if (rule.nonEmpty === true && v === '') { errs.push({ path, message: 'must not be empty' }); return }
    if (rule.maxLength !== undefined && v.length > rule.maxLength) {
      errs.push({ path, message: `must be at most ${rule.maxLength} characters: received ${v.length}` })
      return
    }
    if (rule.pattern !== undefined && !rule.pattern.test(v)) {
      errs.push({ path, message: `must be ${rule.rule ?? `a string matching ${String(rule.pattern)}`}: received ${describe(v)}` })
    }
  }
}

export function int (rule: { min?: number, max?: number } = {}): Check {
  return (v, path, errs) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) { errs.push({ path, message: `must be an integer: received ${describe(v)}` }); return }
    if (rule.min !== undefined && v < rule.min) errs.push({ path, message: `must be >= ${rule.min}: received ${v}` })
    if (rule.max !== undefined && v > rule.max) errs.push({ path, message: `must be <= ${rule.max}: received ${v}` })
  }
}

export const bool: Check = (v, path, errs) => {
  if (typeof v !== 'boolean') errs.push({ path, message: `must be true or false: received ${describe(v)}` })
}

export const anyValue: Check = () => {}

export function arrayOf (item: Check, rule: { minItems?: number } = {}): Check {
  return (v, path, errs) => {
    if (!Array.isArray(v)) { errs.push({ path, message: `must be a list: received ${describe(v)}` }); return }
    if (rule.minItems !== undefined && v.length < rule.minItems) {
      errs.push({ path, message: `must have at least ${rule.minItems} item${rule.minItems === 1 ? '' : 's'}: received ${v.length}` })
    }
    v.forEach((x, i) => item(x, `${path}[${i}]`, errs))
  }
}

export function mapOf (key: Check, value: Check): Check {
  return (v, path, errs) => {
    if (!isRecord(v)) { errs.push({ path, message: `must be a map of strings: received ${describe(v)}` }); return }
    for (const k of Object.keys(v).sort()) {
      const p = child(path, k)
      key(k, p, errs)
      value(v[k], p, errs)
    }
  }
}

export interface ObjectRule {
  required?: readonly string[]
  /** Extra hint for a known-but-refused field, e.g. deprecated Karmada fields. */
  refused?: Readonly<Record<string, string>>
  /** Cross-field rules, run only when the value is an object. */
  also?: (v: Record<string, unknown>, path: string, errs: FieldError[]) => void
}

export function obj (fields: Readonly<Record<string, Check>>, rule: ObjectRule = {}): Check {
  return (v, path, errs) => {
    if (!isRecord(v)) { errs.push({ path, message: `must be an object: received ${describe(v)}` }); return }
    for (const k of Object.keys(v).sort()) {
      const check = fields[k]
      if (check === undefined) {
        const refused = rule.refused?.[k]
        errs.push({ path: child(path, k), message: refused ?? `unknown field (allowed: ${Object.keys(fields).sort().join(', ')})` })
      } else if (v[k] !== undefined) {
        check(v[k], child(path, k), errs)
      }
    }
    for (const k of rule.required ?? []) {
      if (v[k] === undefined) errs.push({ path: child(path, k), message: 'is required' })
    }
    rule.also?.(v, path, errs)
  }
}

/** Kubernetes qualified name, as used for label keys: optional DNS prefix, then `/`, then a name. */
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export const labelKey: Check = (v, path, errs) => {
  if (typeof v !== 'string') { errs.push({ path, message: `must be a label key string: received ${describe(v)}` }); return }
  const slash = v.lastIndexOf('/')
  const prefix = slash < 0 ? undefined : v.slice(0, slash)
  const name = slash < 0 ? v : v.slice(slash + 1)
  const ok = name.length > 0 && name.length <= 63 && LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)))
  if (!ok) errs.push({ path, message: `must be a label key ([prefix/]name, name up to 63 alphanumerics, '-', '_' or '.'): received ${describe(v)}` })
}

export const labelValue: Check = (v, path, errs) => {
  if (typeof v !== 'string') { errs.push({ path, message: `must be a string: received ${describe(v)}` }); return }
  if (v !== '' && (v.length > 63 || !LABEL_NAME.test(v))) {
    errs.push({ path, message: `must be a label value (up to 63 alphanumerics, '-', '_' or '.'): received ${describe(v)}` })
  }
}

export const dnsSubdomain = str({ nonEmpty: true, pattern: DNS_SUBDOMAIN, maxLength: 253, rule: 'a DNS-1123 subdomain (lowercase alphanumerics, \'-\' and \'.\')' })

/** RFC 6901 JSON pointer that names something below the root. */
export const jsonPointer: Check = (v, path, errs) => {
  if (typeof v !== 'string') { errs.push({ path, message: `must be a JSON pointer string: received ${describe(v)}` }); return }
  if (!v.startsWith('/')) { errs.push({ path, message: `must be a JSON pointer starting with '/': received ${describe(v)}` }); return }
  if (/~[^01]|~$/.test(v)) errs.push({ path, message: `must escape '~' as '~0' and '/' as '~1': received ${describe(v)}` })
}
