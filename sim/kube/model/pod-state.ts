/**
 * How controllers read pods: ready (the Ready condition), available (ready for at least
 * minReadySeconds), active (not finished, not being deleted), and `maxSurge` /
 * `maxUnavailable` style int-or-percent values resolved against a replica count.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { conditionOf } from './conditions.ts'
import type { JsonObject } from '../../../src/k8s/json.ts'

export function isPodActive (pod: KubeObject): boolean {
  const phase = (pod.status as JsonObject | undefined)?.['phase']
  return pod.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed'
}

export function isPodReady (pod: KubeObject): boolean {
  return conditionOf(pod.status, 'Ready')?.['status'] === 'True'
}

/** Wall ms at which the pod became Ready, or undefined when it is not ready. */
export function readySinceMs (pod: KubeObject): number | undefined {
  const c = conditionOf(pod.status, 'Ready')
  if (c?.['status'] !== 'True') return undefined
  const t = typeof c['lastTransitionTime'] === 'string' ? Date.parse(c['lastTransitionTime']) : NaN
  return Number.isNaN(t) ? 0 : t
}

/**
 * Whether the pod counts as available at `nowWallMs`; when it will become available
 * later, `availableAt` says when (so the controller can look again then).
 */
export function podAvailability (pod: KubeObject, minReadySeconds: number, nowWallMs: number): { available: boolean, availableAt?: number } {
  const since = readySinceMs(pod)
  if (since === undefined) return { available: false }
  if (minReadySeconds <= 0) return { available: true }
  const at = since + minReadySeconds * 1000
  return at <= nowWallMs ? { available: true } : { available: false, availableAt: at }
}

/** Resolves an int-or-percent (`2`, `"25%"`) against `total`; percentages round up or down. */
export function intOrPercent (value: unknown, total: number, roundUp: boolean, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value))
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value.trim())
    if (m !== null) {
      const raw = (Number(m[1]) * total) / 100
      return roundUp ? Math.ceil(raw) : Math.floor(raw)
    }
    if (/^\d+$/.test(value.trim())) return Number(value.trim())
  }
  return fallback
}

/** Deletion preference on scale-down: unscheduled, then not ready, then the newest. */
export function scaleDownOrder (pods: readonly KubeObject[]): KubeObject[] {
  const rank = (p: KubeObject): number => {
    const bound = typeof (p.spec as JsonObject | undefined)?.['nodeName'] === 'string'
    return (bound ? 2 : 0) + (isPodReady(p) ? 1 : 0)
  }
  return pods
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || b.i - a.i)
    .map((x) => x.p)
}
