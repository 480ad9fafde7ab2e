import { describe, expect, it } from 'vitest'
import { createProvenOffenders } from '../../src/site/proven-offenders.ts'
import type { EvidenceKind, EvidenceRecord } from '../../src/model/federation.ts'

const evidence = (kind: EvidenceKind, offender: string, observedBy: string): EvidenceRecord =>
  ({ id: `${kind}-${offender}-${observedBy}`, kind, offender, observedBy, at: 0, detail: 'test', count: 1 })

describe('proven offenders', () => {
  it('counts only provably dishonest kinds a site observed itself', () => {
    const p = createProvenOffenders('s1', [])
    p.note('bad-signature', 's2')
    p.note('equivocation', 's3')
    p.note('actor-mismatch', 's4')
    p.note('flood', 's5')
    p.note('replay', 's5')
    p.note('malformed', 's5')
    p.note('unauthorized-writer', 's6')
    expect([...p.sites()].sort()).toEqual(['s2', 's3', 's4'])
  })

  it('restores its offenders from the evidence it wrote, ignoring what other sites recorded', () => {
    const p = createProvenOffenders('s1', [
      evidence('equivocation', 's2', 's1'),
      evidence('bad-signature', 's3', 's4'),
      evidence('flood', 's5', 's1')
    ])
    expect([...p.sites()]).toEqual(['s2'])
  })
})
