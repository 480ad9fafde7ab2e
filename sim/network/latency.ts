/**
 * Latency distributions for simulated links, sampled only from the run's Rng so a seed
 * replays the same delays. Each frame draws its own; whether it may then overtake the
 * frames before it is the link's `reorder`.
 */
import type { Rng } from '../../src/ports/rng.ts'
import { FlotillaError } from '../../src/model/errors.ts'

export type LatencyModel =
  | { kind: 'fixed', ms: number }
  | { kind: 'uniform', minMs: number, maxMs: number }
  /** Heavy-tailed like real WAN paths: `medianMs · e^(sigma·z)`, clamped to [minMs, maxMs]. */
  | { kind: 'lognormal', medianMs: number, sigma: number, minMs: number, maxMs: number }

export function sampleLatency (model: LatencyModel, rng: Rng): number {
  switch (model.kind) {
    case 'fixed': return model.ms
    case 'uniform': return model.minMs + rng.nextFloat() * (model.maxMs - model.minMs)
    case 'lognormal': {
      const u1 = 1 - rng.nextFloat()
      const u2 = rng.nextFloat()
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
      return Math.min(model.maxMs, Math.max(model.minMs, model.medianMs * Math.exp(model.sigma * z)))
    }
  }
}

export function checkLatency (model: LatencyModel, field = 'latency'): LatencyModel {
  const bad = (rule: string): never => {
    throw new FlotillaError('input-invalid', `'${field}' ${rule}: received ${JSON.stringify(model)}`, 'Fix the simulated link model.')
  }
  switch (model.kind) {
    case 'fixed': if (!(model.ms >= 0)) bad('must have ms >= 0'); break
    case 'uniform': if (!(model.minMs >= 0 && model.maxMs >= model.minMs)) bad('must have 0 <= minMs <= maxMs'); break
    case 'lognormal':
      if (!(model.medianMs > 0 && model.sigma >= 0 && model.minMs >= 0 && model.maxMs >= model.minMs)) bad('must have medianMs > 0, sigma >= 0 and 0 <= minMs <= maxMs')
      break
    default: bad('must be of kind fixed, uniform or lognormal')
  }
  return model
}
