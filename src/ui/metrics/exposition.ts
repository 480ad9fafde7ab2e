/**
 * Prometheus text exposition format 0.0.4: metric families (name, help, type, samples)
 * rendered as `# HELP`, `# TYPE` and sample lines. Label values come from peers and
 * users (site ids, error codes, workload kinds), so they are escaped here and nowhere
 * else; names are fixed by our code and checked, so a bad one fails loudly in tests
 * instead of producing a page Prometheus refuses whole.
 */
import { FlotillaError } from '../../model/errors.ts'
import type { HistogramSnapshot } from '../../site/site-handle.ts'

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'untyped'

export type Labels = Readonly<Record<string, string>>

export interface Sample {
  /** Appended to the family name (`_bucket`, `_sum`, `_count` for histograms). */
  suffix?: string
  labels?: Labels
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: MetricType
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue (value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'))
}

/** Escapes HELP text: backslash and line feed (quotes stay as they are there). */
export function escapeHelp (text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'))
}

/** A sample value: integers as integers, and `NaN`, `+Inf`, `-Inf` spelled as Prometheus reads them. */
export function formatValue (n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}

function checkName (name: string, what: 'metric' | 'label'): void {
  const ok = what === 'metric' ? METRIC_NAME.test(name) : LABEL_NAME.test(name) && !name.startsWith('__')
  if (!ok) {
    throw new FlotillaError('internal', `'${what} name' must match the Prometheus grammar: received ${JSON.stringify(name)}`,
      'This is a bug in the metrics code: rename the metric or label.')
  }
}

function labelText (labels: Labels | undefined): string {
  if (labels === undefined) return ''
  const keys = Object.keys(labels)
  if (keys.length === 0) return ''
  const parts: string[] = []
  for (const k of keys) {
    checkName(k, 'label')
    parts.push(`${k}="${escapeLabelValue(labels[k] as string)}"`)
  }
  return `{${parts.join(',')}}`
}

/** The exposition text of `families`, in the order given; a family with no samples still says what it is. */
export function renderExposition (families: readonly MetricFamily[]): string {
  const lines: string[] = []
  const seen = new Set<string>()
  for (const f of families) {
    checkName(f.name, 'metric')
    if (seen.has(f.name)) {
      throw new FlotillaError('internal', `metric family "${f.name}" is listed twice`, 'This is a bug in the metrics code: merge the two families.')
    }
    seen.add(f.name)
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ''}${labelText(s.labels)} ${formatValue(s.value)}`)
  }
  return lines.join('\n') + '\n'
}

/** The `_bucket`, `_sum` and `_count` samples of a histogram, with the `+Inf` bucket added. */
export function histogramSamples (h: HistogramSnapshot, labels: Labels = {}): Sample[] {
  const out: Sample[] = h.buckets.map((b) => ({ suffix: '_bucket', labels: { ...labels, le: formatValue(b.le) }, value: b.count }))
  out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: h.count })
  out.push({ suffix: '_sum', labels, value: h.sum })
  out.push({ suffix: '_count', labels, value: h.count })
  return out
}
