import { describe, expect, it } from 'vitest'
import { partitionSpans, type LivenessEvent } from '../../src/liveness/partition-spans.ts'

const T = 1_700_000_000_000
const failed = (site: string, subject: string, s: number): LivenessEvent => ({ site, kind: 'site-failed', subject, at: T + s * 1000 })
const recovered = (site: string, subject: string, s: number): LivenessEvent => ({ site, kind: 'site-recovered', subject, at: T + s * 1000 })
const suspected = (site: string, subject: string, s: number): LivenessEvent => ({ site, kind: 'site-suspected', subject, at: T + s * 1000 })

describe('partition spans', () => {
  it.each([
    ['one peer lost is a site failure, not a partition', [failed('s1', 's4', 0), recovered('s1', 's4', 60)], []],
    ['suspicions alone are no partition', [suspected('s1', 's2', 0), suspected('s1', 's3', 1)], []],
    ['two peers lost together, both back', [failed('s1', 's2', 0), failed('s1', 's3', 1), recovered('s1', 's3', 40), recovered('s1', 's2', 42)],
      [{ observer: 's1', peers: ['s2', 's3'], from: T, until: T + 42_000 }]],
    ['two peers lost together, one still gone', [failed('s1', 's3', 0), failed('s1', 's2', 0.5), recovered('s1', 's2', 30)],
      [{ observer: 's1', peers: ['s2', 's3'], from: T }]],
    ['failures further apart than the window are separate losses', [failed('s1', 's2', 0), failed('s1', 's3', 11)], []],
    ['each observer judges from its own events only', [failed('s1', 's2', 0), failed('s3', 's4', 1)], []],
    ['two cuts seen by one observer, newest first', [failed('s1', 's2', 0), failed('s1', 's3', 2), recovered('s1', 's2', 20), recovered('s1', 's3', 20), failed('s1', 's2', 100), failed('s1', 's4', 101)],
      [{ observer: 's1', peers: ['s2', 's4'], from: T + 100_000 }, { observer: 's1', peers: ['s2', 's3'], from: T, until: T + 20_000 }]],
    ['a return counts only after the failure it ends', [recovered('s1', 's2', -5), failed('s1', 's2', 0), failed('s1', 's3', 0), recovered('s1', 's3', 9)],
      [{ observer: 's1', peers: ['s2', 's3'], from: T }]]
  ] as Array<[string, LivenessEvent[], Array<Record<string, unknown>>]>)('%s', (_name, events, expected) => {
    const spans = partitionSpans(events).map(({ observer, peers, from, until }) => ({ observer, peers, from, ...(until === undefined ? {} : { until }) }))
    expect(spans).toEqual(expected)
  })

  it('words the cause with the share of peers lost, the window and the end', () => {
    const events = [failed('s1', 's2', 0), failed('s1', 's3', 1.2), recovered('s1', 's2', 30), recovered('s1', 's3', 42.04)]
    const [span] = partitionSpans(events, { peersOf: () => 4 })
    expect(span?.cause).toBe('cut off from s2, s3 — 2 of 4 peers failed within 10 s (a partition, or an outage they share); all back after 42 s')
    const [open] = partitionSpans(events.slice(0, 2), { windowMs: 5000 })
    expect(open?.cause).toBe('cut off from s2, s3 — 2 peers failed within 5 s (a partition, or an outage they share); not all back yet')
  })
})
