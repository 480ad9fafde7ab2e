/**
 * Cluster taints against policy tolerations, with Kubernetes' toleration rules. A
 * NoSchedule or NoExecute taint that nothing tolerates filters the cluster out; an
 * untolerated PreferNoSchedule taint only lowers the cluster's preference, counted as a
 * penalty that ranks before the rendezvous score.
 */
import type { Taint, Toleration } from '../model/policy.ts'

export function tolerates (t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false
  if (t.operator === 'Exists') return true
  return (t.value ?? '') === (taint.value ?? '')
}

export function describeTaint (taint: Taint): string {
  return `${taint.key}${taint.value !== undefined && taint.value !== '' ? `=${taint.value}` : ''}:${taint.effect}`
}

export interface TaintVerdict {
  /** The first hard taint no toleration covers, if any. */
  blocking?: Taint
  /** Untolerated PreferNoSchedule taints. */
  penalty: number
}

export function checkTaints (taints: readonly Taint[], tolerations: readonly Toleration[]): TaintVerdict {
  let penalty = 0
  for (const taint of taints) {
    if (tolerations.some((t) => tolerates(t, taint))) continue
    if (taint.effect === 'PreferNoSchedule') penalty++
    else return { blocking: taint, penalty }
  }
  return { penalty }
}
