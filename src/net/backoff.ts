/**
 * Exponential backoff with jitter for re-dialling peers. The jitter spreads the re-dials
 * of many sites that lost the same peer at the same moment, so they do not all knock at
 * once when it comes back.
 */
import type { Rng } from '../ports/rng.ts'
import { FlotillaError } from '../model/errors.ts'

export interface BackoffPolicy {
  /** Delay before the first retry. Default 500 ms. */
  baseMs: number
  /** Upper bound of any delay. Default 30 s. */
  maxMs: number
  /** Growth per attempt. Default 2. */
  factor: number
  /** Fraction of the delay drawn at random: 0 none, 1 anywhere in [0, delay]. Default 0.5. */
  jitter: number
}

export const defaultBackoff: BackoffPolicy = { baseMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 }

export function backoffPolicy (p: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const policy = { ...defaultBackoff, ...p }
  const check = (name: keyof BackoffPolicy, ok: boolean, rule: string): void => {
    if (!ok) throw new FlotillaError('input-invalid', `'${name}' ${rule}: received ${policy[name]}`, 'Fix the network options.')
  }
  check('baseMs', Number.isFinite(policy.baseMs) && policy.baseMs > 0, 'must be a positive number')
  check('maxMs', Number.isFinite(policy.maxMs) && policy.maxMs >= policy.baseMs, 'must be a number at least baseMs')
  check('factor', Number.isFinite(policy.factor) && policy.factor >= 1, 'must be a number at least 1')
  check('jitter', policy.jitter >= 0 && policy.jitter <= 1, 'must be between 0 and 1')
  return policy
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay (policy: BackoffPolicy, attempt: number, rng: Rng): number {
  const raw = Math.min(policy.maxMs, policy.baseMs * Math.pow(policy.factor, Math.min(attempt, 64)))
  return Math.round(raw * (1 - policy.jitter * rng.nextFloat()))
}
