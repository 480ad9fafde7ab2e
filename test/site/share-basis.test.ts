import { describe, expect, it } from 'vitest'
import type { EffectivePlacement } from '../../src/controllers/decisions/index.ts'
import { createShareBasis } from '../../src/site/share-basis.ts'
import { canonicalDigest } from '../../src/store/docs/canonical-json.ts'

const placed = (decidedBy: string, generation: number, assignments: Array<{ cluster: string, replicas: number }>): EffectivePlacement =>
  ({ base: { decidedBy, generation, assignments } }) as unknown as EffectivePlacement

describe('createShareBasis', () => {
  it('names the plan by the canonical digest of its origin binding, the same whether seen before or not', () => {
    const basis = createShareBasis()
    const list = [{ cluster: 'eu1.a', replicas: 2 }, { cluster: 'us1.a', replicas: 1 }]
    const expected = canonicalDigest(['eu1', 3, list]).slice(0, 16)
    expect(basis(placed('eu1', 3, list))).toBe(expected)
    expect(basis(placed('eu1', 3, list.map((a) => ({ ...a }))))).toBe(expected)
    expect(createShareBasis()(placed('eu1', 3, list))).toBe(expected)
  })

  it('tells different bindings apart and names none without a base', () => {
    const basis = createShareBasis()
    const a = basis(placed('eu1', 3, [{ cluster: 'eu1.a', replicas: 2 }]))
    expect(basis(placed('eu1', 4, [{ cluster: 'eu1.a', replicas: 2 }]))).not.toBe(a)
    expect(basis(placed('eu1', 3, [{ cluster: 'eu1.a', replicas: 3 }]))).not.toBe(a)
    expect(basis(placed('us1', 3, [{ cluster: 'eu1.a', replicas: 2 }]))).not.toBe(a)
    expect(basis(undefined)).toBeUndefined()
    expect(basis({} as EffectivePlacement)).toBeUndefined()
  })
})
