import { describe, expect, it } from 'vitest'
import { originGrace, type OriginGraceInput } from '../../../src/controllers/decisions/index.ts'
import { deployment } from '../../schedule/fixtures.ts'
import { bindingOf } from './fixtures.ts'

const w = deployment('web', { replicas: 3 })

function input (o: Partial<OriginGraceInput> = {}): OriginGraceInput {
  return { observer: 'us1', workload: w, originBinding: undefined, originAlive: true, unboundSince: 1_000, now: 1_000, graceMs: 12_000, ...o }
}

describe('originGrace', () => {
  it('waits for an alive origin that has not bound the workload yet, until the grace runs out', () => {
    expect(originGrace(input())).toEqual({ wait: true, unbound: true, until: 13_000 })
    expect(originGrace(input({ now: 12_999 }))).toEqual({ wait: true, unbound: true, until: 13_000 })
    expect(originGrace(input({ now: 13_000 }))).toEqual({ wait: false, unbound: true })
  })

  it('acts at once for an origin its failure detector does not hold alive', () => {
    expect(originGrace(input({ originAlive: false }))).toEqual({ wait: false, unbound: true })
  })

  it('waits for the origin to bind a new generation, not only the first', () => {
    const v2 = { ...w, generation: 2 }
    expect(originGrace(input({ workload: v2, originBinding: bindingOf(w, { 'eu1.a': 3 }) }))).toMatchObject({ wait: true })
    expect(originGrace(input({ workload: v2, originBinding: bindingOf(v2, { 'eu1.a': 3 }) }))).toEqual({ wait: false, unbound: false })
  })

  it('never waits on itself as the origin, nor once the origin bound this generation', () => {
    expect(originGrace(input({ observer: w.origin }))).toEqual({ wait: false, unbound: false })
    expect(originGrace(input({ originBinding: bindingOf(w, { 'eu1.a': 3 }) }))).toEqual({ wait: false, unbound: false })
  })

  it('does not take a binding by another site for the origin\'s', () => {
    expect(originGrace(input({ originBinding: bindingOf(w, { 'us1.a': 3 }, { decidedBy: 'us1' }) }))).toMatchObject({ wait: true })
  })

  it('refuses a negative grace with input-invalid', () => {
    expect(() => originGrace(input({ graceMs: -1 }))).toThrow(/graceMs/)
  })
})
