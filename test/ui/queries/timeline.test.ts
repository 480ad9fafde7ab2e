import { describe, expect, it } from 'vitest'
import type { FederationEvent } from '../../../src/model/federation.ts'
import type { GlobalView } from '../../../src/model/view.ts'
import { mergeEvents, queryEvents } from '../../../src/ui/queries/timeline.ts'

const T = 1_700_000_000_000
let seq = 0
const ev = (site: string, kind: FederationEvent['kind'], subject: string, s: number): FederationEvent =>
  ({ id: `${site}#${++seq}`, site, seq, kind, subject, at: T + s * 1000, cause: 'no heartbeat for 12.1 s (limit 12 s)' })
const view = (events: FederationEvent[]): GlobalView => ({ events, sites: ['s1', 's2', 's3', 's4', 's5'].map((id) => ({ id })) } as unknown as GlobalView)

describe('timeline', () => {
  it('shows two peers an observer lost together as one derived partition, with the site-failed events it rests on', () => {
    const logged = [ev('s1', 'site-failed', 's2', 0), ev('s1', 'site-failed', 's3', 1), ev('s1', 'site-recovered', 's2', 50), ev('s1', 'site-recovered', 's3', 51), ev('s4', 'site-failed', 's5', 0)]
    // s1's own recovery of s3 is not in its view yet.
    const merged = mergeEvents(view(logged.slice(0, 3).concat(logged[4]!)), [logged[3]!])
    const partitions = merged.filter((e) => e.kind === 'partition')
    expect(partitions).toEqual([{
      id: `s1#partition@${T}`, kind: 'partition', at: T, site: 's1', subject: 's2, s3',
      cause: 'cut off from s2, s3 — 2 of 4 peers failed within 10 s (a partition, or an outage they share); all back after 51 s',
      derived: { peers: ['s2', 's3'], until: T + 51_000 }
    }])
    expect(merged.filter((e) => e.kind === 'site-failed')).toHaveLength(3)
    // Filters find it by kind, by its observer and by a peer it lost.
    const q = (params: string): string[] => queryEvents(merged, new URLSearchParams(params)).items.map((e) => `${e.kind}:${e.subject}`)
    expect(q('kind=partition')).toEqual(['partition:s2, s3'])
    expect(q('kind=partition&site=s3')).toEqual(['partition:s2, s3'])
    expect(q('kind=partition&site=s4')).toEqual([])
  })

  it('derives no partition from a single site failure', () => {
    expect(mergeEvents(view([ev('s1', 'site-failed', 's4', 0)]), []).map((e) => e.kind)).toEqual(['site-failed'])
  })
})
