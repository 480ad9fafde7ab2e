/**
 * The plan a site runs a workload's replicas under (`ShareStatus.basis`): a 16-hex digest
 * of the origin binding its effective placement rests on. Other sites compare it, so its
 * form is fixed; this module only keeps the digests of bindings it has seen.
 */
import type { EffectivePlacement } from '../controllers/decisions/index.ts'
import { canonicalDigest } from '../store/docs/canonical-json.ts'

/**
 * The plan an effective placement rests on: a digest of its origin binding (see
 * ShareStatus.basis). Every workload asks for it every tick and the bindings rarely
 * change, so digests are kept by the fields' plain JSON (the digest itself is what other
 * sites compare, so its form stays as it is).
 */
export function createShareBasis (): (eff: Pick<EffectivePlacement, 'base'> | undefined) => string | undefined {
  const known = new Map<string, string>()
  return (eff) => {
    const base = eff?.base
    if (base === undefined) return undefined
    // JSON.stringify is native and injective here; only the digest must be canonical.
    const key = JSON.stringify([base.decidedBy, base.generation, base.assignments])
    let digest = known.get(key)
    if (digest === undefined) {
      if (known.size >= 10_000) known.clear()
      digest = canonicalDigest([base.decidedBy, base.generation, base.assignments]).slice(0, 16)
      known.set(key, digest)
    }
    return digest
  }
}
