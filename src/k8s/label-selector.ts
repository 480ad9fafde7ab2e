/**
 * Label selectors as the apiserver understands them: the string form of `?labelSelector=`
 * (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by
 * commas) and the structured form of `spec.selector` (`matchLabels`, `matchExpressions`),
 * both parsed into one list of requirements that all must hold.
 */
import { badRequest } from './api-errors.ts'

export type SelectorOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt'

export interface Requirement {
  key: string
  operator: SelectorOperator
  values: readonly string[]
}

export type LabelSelector = readonly Requirement[]

/** The selector that matches everything. */
export const EVERYTHING: LabelSelector = []

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/

/** Validates a label key (`[prefix/]name`); returns why it is bad, or undefined. */
export function labelKeyProblem (key: string): string | undefined {
  const slash = key.indexOf('/')
  const prefix = slash < 0 ? undefined : key.slice(0, slash)
  const name = slash < 0 ? key : key.slice(slash + 1)
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'prefix part must be a lowercase RFC 1123 subdomain'
  }
  if (!NAME_PART.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63)"
  }
  return undefined
}

export function labelValueProblem (value: string): string | undefined {
  return LABEL_VALUE.test(value)
    ? undefined
    : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63)"
}

type Token = { kind: 'word', text: string } | { kind: 'op', text: string }

function tokenize (input: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i] as string
    if (c === ' ' || c === '\t') { i++; continue }
    const two = input.slice(i, i + 2)
    if (two === '==' || two === '!=') { out.push({ kind: 'op', text: two }); i += 2; continue }
    if ('=!(),<>'.includes(c)) { out.push({ kind: 'op', text: c }); i++; continue }
    let j = i
    while (j < input.length && !' \t=!(),<>'.includes(input[j] as string)) j++
    out.push({ kind: 'word', text: input.slice(i, j) })
    i = j
  }
  return out
}

function fail (input: string, why: string): never {
  throw badRequest(`unable to parse requirement: ${why} in selector "${input}"`)
}

/** Parses the string form; throws a 400 `BadRequest` naming the problem. */
export function parseLabelSelector (input: string | undefined): LabelSelector {
  if (input === undefined || input.trim() === '') return EVERYTHING
  const tokens = tokenize(input)
  const out: Requirement[] = []
  let pos = 0
  const peek = (): Token | undefined => tokens[pos]
  const word = (what: string): string => {
    const t = tokens[pos]
    if (t?.kind !== 'word') fail(input, `expected ${what}`)
    pos++
    return t.text
  }
  const checkKey = (key: string): string => {
    const problem = labelKeyProblem(key)
    if (problem !== undefined) fail(input, `invalid label key "${key}": ${problem}`)
    return key
  }
  const checkValue = (value: string): string => {
    const problem = labelValueProblem(value)
    if (problem !== undefined) fail(input, `invalid label value: "${value}": ${problem}`)
    return value
  }
  for (;;) {
    const first = peek()
    if (first === undefined) fail(input, 'expected a requirement')
    if (first.kind === 'op' && first.text === '!') {
      pos++
      out.push({ key: checkKey(word('a key after "!"')), operator: '!', values: [] })
    } else {
      const key = checkKey(word('a key'))
      const op = peek()
      if (op === undefined || (op.kind === 'op' && op.text === ',')) {
        out.push({ key, operator: 'exists', values: [] })
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        pos++
        const next = peek()
        const value = next?.kind === 'word' ? (pos++, next.text) : ''
        out.push({ key, operator: op.text === '!=' ? '!=' : '=', values: [checkValue(value)] })
      } else if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
        pos++
        const value = word('an integer')
        if (!/^-?\d+$/.test(value)) fail(input, `for 'Gt', 'Lt' operators, the value must be an integer: "${value}"`)
        out.push({ key, operator: op.text === '>' ? 'gt' : 'lt', values: [value] })
      } else if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
        pos++
        const open = peek()
        if (open?.kind !== 'op' || open.text !== '(') fail(input, `expected "(" after ${op.text}`)
        pos++
        const values: string[] = []
        for (;;) {
          const t = peek()
          if (t?.kind === 'word') { values.push(checkValue(t.text)); pos++ } else values.push('')
          const sep = peek()
          if (sep?.kind === 'op' && sep.text === ',') { pos++; continue }
          if (sep?.kind === 'op' && sep.text === ')') { pos++; break }
          fail(input, 'expected "," or ")" in a value set')
        }
        if (values.length === 1 && values[0] === '') fail(input, `for '${op.text}' operator, values set can't be empty`)
        out.push({ key, operator: op.text, values: [...new Set(values)] })
      } else {
        fail(input, `unexpected "${op.text}" after key "${key}"`)
      }
    }
    const sep = peek()
    if (sep === undefined) break
    if (sep.kind === 'op' && sep.text === ',') { pos++; continue }
    fail(input, `unexpected "${sep.text}"`)
  }
  return out
}

export interface StructuredSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{ key: string, operator: string, values?: string[] }>
}

/** Converts `spec.selector` (matchLabels/matchExpressions) into requirements. */
export function fromStructured (selector: StructuredSelector | undefined): LabelSelector {
  if (selector === undefined) return EVERYTHING
  const out: Requirement[] = []
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) out.push({ key, operator: '=', values: [value] })
  for (const e of selector.matchExpressions ?? []) {
    const operator: SelectorOperator = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator === 'Exists' ? 'exists' : e.operator === 'DoesNotExist' ? '!' : e.operator === 'Gt' ? 'gt' : e.operator === 'Lt' ? 'lt' : fail(e.operator, 'unknown operator')
    out.push({ key: e.key, operator, values: e.values ?? [] })
  }
  return out
}

export function matchesRequirement (r: Requirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key)
  const value = has ? (labels as Record<string, string>)[r.key] as string : undefined
  switch (r.operator) {
    case 'exists': return has
    case '!': return !has
    case '=': return has && value === r.values[0]
    case 'in': return has && r.values.includes(value as string)
    // As in Kubernetes, "!=" and "notin" also select objects without the key.
    case '!=': return !has || value !== r.values[0]
    case 'notin': return !has || !r.values.includes(value as string)
    case 'gt': case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false
      const a = Number(value)
      const b = Number(r.values[0])
      return r.operator === 'gt' ? a > b : a < b
    }
  }
}

export function matchesLabels (selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of selector) if (!matchesRequirement(r, labels)) return false
  return true
}

/** The canonical string form, as `kubectl get deploy -o wide` shows a selector. */
export function formatLabelSelector (selector: LabelSelector): string {
  return selector.map((r) => {
    switch (r.operator) {
      case 'exists': return r.key
      case '!': return `!${r.key}`
      case '=': return `${r.key}=${r.values[0] ?? ''}`
      case '!=': return `${r.key}!=${r.values[0] ?? ''}`
      case 'gt': return `${r.key}>${r.values[0] ?? ''}`
      case 'lt': return `${r.key}<${r.values[0] ?? ''}`
      default: return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`
    }
  }).join(',')
}
