/**
 * What every invariant reports: a name, one line that says exactly what it checks, how
 * many checks it made, and its violations, each with the virtual time, the site or
 * subject it concerns and a message that says what was expected and what was found.
 * A sink collects them for the run (bounded per invariant; the count stays exact).
 */
import type { Trace } from '../engine/trace.ts'

export const INVARIANT_NAMES = ['convergence', 'safety', 'residency', 'availability', 'durability'] as const
export type InvariantName = typeof INVARIANT_NAMES[number]

export interface Violation {
  invariant: InvariantName
  /** Which rule of the invariant, e.g. `lag`, `final`, `no-gap`, `recovery`. */
  rule: string
  timeMs: number
  message: string
  site?: string
  subject?: string
}

export interface InvariantResult {
  name: InvariantName
  /** What is checked, precisely. */
  checks: string
  /** Individual checks made (entries verified, samples compared, ...). */
  checked: number
  violations: Violation[]
  /** Violations beyond the kept ones. */
  more: number
  ok: boolean
}

export interface ViolationSink {
  report (v: Violation): void
  count (invariant?: InvariantName): number
  /** Counts checks made, for the report. */
  checked (invariant: InvariantName, n?: number): void
  results (descriptions: Record<InvariantName, string>): InvariantResult[]
  /** Called on the first violation (to stop a swarm run early). */
  onFirst (fn: () => void): void
}

const KEEP_PER_INVARIANT = 25

export function createViolationSink (trace?: Trace): ViolationSink {
  const kept = new Map<InvariantName, Violation[]>()
  const counts = new Map<InvariantName, number>()
  const checks = new Map<InvariantName, number>()
  const firstListeners: Array<() => void> = []
  let total = 0
  return {
    report (v) {
      total++
      counts.set(v.invariant, (counts.get(v.invariant) ?? 0) + 1)
      let list = kept.get(v.invariant)
      if (list === undefined) kept.set(v.invariant, list = [])
      if (list.length < KEEP_PER_INVARIANT) list.push(v)
      trace?.record(v.timeMs, 'violation', { invariant: v.invariant, rule: v.rule, message: v.message })
      if (total === 1) for (const f of firstListeners) f()
    },
    count: (inv) => inv === undefined ? total : counts.get(inv) ?? 0,
    checked (inv, n = 1) { checks.set(inv, (checks.get(inv) ?? 0) + n) },
    results (descriptions) {
      return (Object.keys(descriptions) as InvariantName[]).map((name) => {
        const violations = kept.get(name) ?? []
        const count = counts.get(name) ?? 0
        return { name, checks: descriptions[name], checked: checks.get(name) ?? 0, violations, more: count - violations.length, ok: count === 0 }
      })
    },
    onFirst (fn) { firstListeners.push(fn) }
  }
}
