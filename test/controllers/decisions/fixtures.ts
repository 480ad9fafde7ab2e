/**
 * Builders for decision tests: a tick's context from clusters, policies and the
 * observer's failure observations; origin bindings; compact placements.
 */
import type { Binding, ClusterAssignment, ClusterRecord, PolicyRecord, ShareStatus, WorkloadRecord } from '../../../src/model/federation.ts'
import {
  clusterAvailability, preparePlacementContext, trackAvailability,
  type AvailabilityMemory, type ClusterAvailability, type FailoverSettings, type PlacementContext
} from '../../../src/controllers/decisions/index.ts'

export const SETTINGS: FailoverSettings = { failback: 'after-stabilization', stabilizationMs: 30_000, evictionTimeoutMs: 60_000 }

export interface Tick {
  context: PlacementContext
  availability: ClusterAvailability
  memory: AvailabilityMemory
}

export interface TickInput {
  clusters: readonly ClusterRecord[]
  policies: readonly PolicyRecord[]
  unavailableSites?: readonly string[]
  memory?: AvailabilityMemory
  now?: number
  settings?: Partial<FailoverSettings>
}

/** One controller tick: memory updated, availability computed, context prepared. */
export function tick (t: TickInput): Tick {
  const settings = { ...SETTINGS, ...t.settings }
  const now = t.now ?? 0
  const sites = new Set(t.unavailableSites ?? [])
  const memory = trackAvailability(t.memory ?? new Map(), t.clusters, sites, now)
  const availability = clusterAvailability({ clusters: t.clusters, unavailableSites: sites, memory, now, stabilizationMs: settings.stabilizationMs })
  return { memory, availability, context: preparePlacementContext({ clusters: t.clusters, policies: t.policies, availability, settings }) }
}

/** `{ 'eu1.a': 3 }` as a sorted assignment list. */
export function placement (map: Record<string, number>): ClusterAssignment[] {
  return Object.entries(map).map(([cluster, replicas]) => ({ cluster, replicas })).sort((a, b) => (a.cluster < b.cluster ? -1 : 1))
}

export function asMap (list: readonly ClusterAssignment[]): Record<string, number> {
  return Object.fromEntries(list.map((a) => [a.cluster, a.replicas]))
}

export function bindingOf (w: WorkloadRecord, map: Record<string, number> | readonly ClusterAssignment[], o: Partial<Binding> = {}): Binding {
  return {
    workload: w.key,
    placement: Array.isArray(map) ? [...map] : placement(map as Record<string, number>),
    decidedBy: w.origin,
    generation: w.generation,
    inputHeads: '',
    reason: 'test',
    decidedAt: 0,
    ...o
  }
}

export function share (w: WorkloadRecord, cluster: string, ready: number, o: Partial<ShareStatus> = {}): ShareStatus {
  return { workload: w.key, cluster, desired: ready, ready, available: ready, conditions: [], observedGeneration: w.generation, ...o }
}

/** A deterministic permutation of `list` from `seed` (Fisher-Yates over a small LCG). */
export function shuffled<T> (list: readonly T[], seed: number): T[] {
  const out = [...list]
  let s = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = s % (i + 1)
    const tmp = out[i]!
    out[i] = out[j]!
    out[j] = tmp
  }
  return out
}
