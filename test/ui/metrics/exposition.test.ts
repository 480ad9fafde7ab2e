/**
 * The Prometheus text format writer: escaping of label values and HELP text (values
 * come from peers), number spelling, histograms with their +Inf bucket, and refusal of
 * names Prometheus would reject.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import {
  escapeHelp, escapeLabelValue, formatValue, histogramSamples, renderExposition
} from '../../../src/ui/metrics/exposition.ts'
import { createLatencyHistogram } from '../../../src/ui/metrics/histogram.ts'

/** What a Prometheus parser does to an escaped label value. */
function unescapeLabelValue (s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
}

describe('Prometheus exposition', () => {
  it('escapes backslash, double quote and line feed in label values, and nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
    expect(escapeLabelValue('plain-value_1.2 {x}=y')).toBe('plain-value_1.2 {x}=y')
    expect(escapeLabelValue('\\n')).toBe('\\\\n')
  })

  it('round-trips any label value through escaping, and the escaped text never holds a bare quote or line feed', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (v) => {
      const e = escapeLabelValue(v)
      expect(unescapeLabelValue(e)).toBe(v)
      expect(e).not.toMatch(/\n/)
      expect(e.replace(/\\./g, '')).not.toContain('"')
    }), { numRuns: 300 })
  })

  it('escapes HELP text (backslash and line feed) but leaves quotes', () => {
    expect(escapeHelp('a "b"\\c\nd')).toBe('a "b"\\\\c\\nd')
  })

  it('spells special values as Prometheus reads them', () => {
    expect([formatValue(NaN), formatValue(Infinity), formatValue(-Infinity), formatValue(3), formatValue(0.25), formatValue(-2)])
      .toEqual(['NaN', '+Inf', '-Inf', '3', '0.25', '-2'])
  })

  it('renders HELP, TYPE and samples with escaped labels, and a family without samples still declares itself', () => {
    const text = renderExposition([
      { name: 'flotilla_changes_rejected_total', type: 'counter', help: 'Changes refused.\nBy reason.', samples: [{ labels: { site: 'eu-west', reason: 'bad "sig"\\x' }, value: 3 }] },
      { name: 'flotilla_empty', type: 'gauge', help: 'Nothing yet.', samples: [] },
      { name: 'flotilla_up', type: 'gauge', help: 'Up.', samples: [{ value: 1 }] }
    ])
    expect(text).toBe([
      '# HELP flotilla_changes_rejected_total Changes refused.\\nBy reason.',
      '# TYPE flotilla_changes_rejected_total counter',
      'flotilla_changes_rejected_total{site="eu-west",reason="bad \\"sig\\"\\\\x"} 3',
      '# HELP flotilla_empty Nothing yet.',
      '# TYPE flotilla_empty gauge',
      '# HELP flotilla_up Up.',
      '# TYPE flotilla_up gauge',
      'flotilla_up 1',
      ''
    ].join('\n'))
  })

  it('refuses metric and label names outside the grammar, reserved label names, and a family listed twice', () => {
    const bad = [
      [{ name: 'flotilla-dash', type: 'gauge' as const, help: 'x', samples: [] }],
      [{ name: 'ok_name', type: 'gauge' as const, help: 'x', samples: [{ labels: { 'bad-label': 'v' }, value: 1 }] }],
      [{ name: 'ok_name', type: 'gauge' as const, help: 'x', samples: [{ labels: { __reserved: 'v' }, value: 1 }] }],
      [{ name: 'twice', type: 'gauge' as const, help: 'x', samples: [] }, { name: 'twice', type: 'gauge' as const, help: 'x', samples: [] }]
    ]
    for (const families of bad) {
      let caught: unknown
      try { renderExposition(families) } catch (e) { caught = e }
      expect(isFlotillaError(caught, 'internal')).toBe(true)
    }
  })

  it('renders a histogram with cumulative buckets, the +Inf bucket, sum and count', () => {
    const h = createLatencyHistogram([0.01, 0.1, 1])
    for (const s of [0.004, 0.01, 0.05, 0.5, 3, -1, NaN]) h.observe(s)
    const snap = h.snapshot()
    expect(snap.buckets).toEqual([{ le: 0.01, count: 2 }, { le: 0.1, count: 3 }, { le: 1, count: 4 }])
    expect(snap.count).toBe(5)
    expect(snap.sum).toBeCloseTo(3.564, 6)
    const text = renderExposition([{ name: 'lat_seconds', type: 'histogram', help: 'Latency.', samples: histogramSamples(snap, { site: 'a' }) }])
    expect(text.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toEqual([
      'lat_seconds_bucket{site="a",le="0.01"} 2',
      'lat_seconds_bucket{site="a",le="0.1"} 3',
      'lat_seconds_bucket{site="a",le="1"} 4',
      'lat_seconds_bucket{site="a",le="+Inf"} 5',
      `lat_seconds_sum{site="a"} ${snap.sum}`,
      'lat_seconds_count{site="a"} 5'
    ])
  })
})
