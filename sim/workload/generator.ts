/**
 * The simulated users: at the start each site applies its policies, Deployments (some
 * restricted to regions, some local-only, some asking for GPUs), Services and
 * ConfigMaps; then, at random moments drawn from the seed, someone at a running site
 * creates, updates, scales or deletes a Deployment, or moves its site's `regional`
 * workloads to another region by changing the policy. Everything goes through
 * `site.putObject` / `deleteObject`, as the API would. The generator keeps the book the
 * invariants judge against: each workload's origin, residency, replicas and resources as
 * the user asked, and what each site acknowledged (for durability).
 */
import type { Residency } from '../../src/model/federation.ts'
import type { KubeObject, WorkloadKey } from '../../src/model/kube.ts'
import type { Resources } from '../../src/model/resources.ts'
import { randomInt } from '../../src/ports/rng.ts'
import type { SeededRng } from '../engine/seeded-rng.ts'
import { REGION_NAMES } from '../runner/options.ts'
import type { SimSite, World } from '../runner/world.ts'
import {
  configMapManifest, deploymentManifest, duplicatedPolicy, gpuPolicy, keyOf, perReplicaOf, regionalPolicy, residentPolicy,
  serviceManifest, spreadPolicy, type DeploymentShape, type Tier
} from './manifests.ts'

export interface WorkloadSpec {
  key: WorkloadKey
  origin: string
  shape: DeploymentShape
  residency: Residency
  perReplica: Resources
  /** Regions the user's residency allows (annotation ∩ policy residency); undefined: any. Never changes. */
  residencyRegions?: string[]
  /** True time of the last change the user asked for (create, update, scale, move). */
  lastChangeMs: number
  /** Set once the origin acknowledged the first write. */
  acknowledged: boolean
  deleted: boolean
}

export interface Acknowledged {
  /** Generation the site returned for the write, per object key; -1 for a delete. */
  generation: number
  timeMs: number
}

export interface WorkloadBook {
  /** Every Deployment ever asked for, by key. */
  readonly specs: ReadonlyMap<WorkloadKey, WorkloadSpec>
  /** Per site: what its `putObject`/`deleteObject` acknowledged, by object key. */
  readonly acks: ReadonlyMap<string, ReadonlyMap<string, Acknowledged>>
  /** Current `regional` policy regions per origin site. */
  regionalOf (site: string): readonly string[]
  /** Regions the Deployment may be placed in by policy and residency together; undefined: anywhere. */
  placementRegions (spec: WorkloadSpec): string[] | undefined
  /** Operations skipped because their site was down, or refused. */
  readonly skipped: number
  readonly applied: number
}

export interface WorkloadGenerator {
  readonly book: WorkloadBook
  /** Schedules the initial objects and the random changes on the engine. */
  start (): void
}

function intersect (a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return a.filter((r) => b.includes(r))
}

export function createWorkloadGenerator (world: World): WorkloadGenerator {
  const { options: o, engine } = world
  const rng: SeededRng = world.rng.fork('workload')
  const regions = REGION_NAMES.slice(0, o.regions) as string[]
  const specs = new Map<WorkloadKey, WorkloadSpec>()
  const acks = new Map<string, Map<string, Acknowledged>>()
  const regional = new Map<string, string[]>()
  const resident = new Map<string, string[]>()
  const counters = new Map<string, number>()
  const gpuAvailable = o.clusters.gpuEvery > 0
  let skipped = 0
  let applied = 0

  const book: WorkloadBook = {
    specs,
    acks,
    regionalOf: (site) => regional.get(site) ?? [],
    placementRegions (spec) {
      const byPolicy = spec.shape.tier === 'regional' ? regional.get(spec.origin) : undefined
      return intersect(spec.residencyRegions, byPolicy === undefined ? undefined : [...byPolicy])
    },
    get skipped () { return skipped },
    get applied () { return applied }
  }

  const ns = (s: SimSite): string => `team-${s.id}`
  const nextName = (s: SimSite, prefix: string): string => {
    const n = (counters.get(`${s.id}/${prefix}`) ?? 0) + 1
    counters.set(`${s.id}/${prefix}`, n)
    return `${prefix}-${n}`
  }

  function ack (s: SimSite, key: string, generation: number): void {
    let m = acks.get(s.id)
    if (m === undefined) acks.set(s.id, m = new Map())
    m.set(key, { generation, timeMs: engine.nowMs() })
  }

  /** Applies one object at a running site; the outcome is recorded when it settles. */
  function put (s: SimSite, obj: KubeObject, what: string): void {
    const site = s.site
    if (s.state !== 'up' || site === undefined) { skipped++; return }
    applied++
    const key = keyOf(obj)
    world.timeline.add(engine.nowMs(), 'workload', `${what} ${key}`, s.id)
    site.putObject(obj).then((r) => {
      const spec = specs.get(key)
      if (spec !== undefined) spec.acknowledged = true
      const gen = r.object.metadata.generation
      ack(s, key, typeof gen === 'number' ? gen : 1)
    }, () => { skipped++ })
  }

  function remove (s: SimSite, spec: WorkloadSpec): void {
    const site = s.site
    if (s.state !== 'up' || site === undefined) { skipped++; return }
    applied++
    world.timeline.add(engine.nowMs(), 'workload', `delete ${spec.key}`, s.id)
    spec.deleted = true
    spec.lastChangeMs = engine.nowMs()
    site.deleteObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: spec.shape.namespace, name: spec.shape.name }).then(() => {
      ack(s, spec.key, -1)
    }, () => { skipped++ })
  }

  function newShape (s: SimSite): DeploymentShape {
    const w = o.workload
    const roll = rng.nextFloat()
    const gpuRoll = rng.nextFloat()
    const tierRoll = rng.nextFloat()
    let residency: string | undefined
    if (roll < w.localOnly) residency = 'local-only'
    else if (roll < w.localOnly + w.regionRestricted) {
      const first = regions[randomInt(rng, 0, regions.length - 1)] as string
      const second = regions[randomInt(rng, 0, regions.length - 1)] as string
      residency = `regions=${[...new Set([first, ...(rng.nextFloat() < 0.3 ? [second] : [])])].sort().join(',')}`
    }
    let tier: Tier = tierRoll < 0.5 ? 'spread' : tierRoll < 0.8 ? 'regional' : 'resident'
    let gpu = 0
    let vgpu: DeploymentShape['vgpu']
    if (gpuAvailable && gpuRoll < w.gpu) {
      tier = 'gpu'
      if (rng.nextFloat() < 0.5) gpu = 1
      else vgpu = { cores: 25 * randomInt(rng, 1, 2), memoryMiB: 2048 * randomInt(rng, 1, 3) }
    }
    return {
      name: nextName(s, tier === 'gpu' ? 'infer' : 'web'),
      namespace: ns(s),
      tier,
      replicas: randomInt(rng, 1, w.maxReplicas),
      image: `registry.example/app:${randomInt(rng, 1, 9)}`,
      cpuMilli: 50 * randomInt(rng, 2, 8),
      memoryMiB: 64 * randomInt(rng, 1, 4),
      gpu,
      ...(vgpu === undefined ? {} : { vgpu }),
      ...(residency === undefined ? {} : { residency })
    }
  }

  function residencyOf (shape: DeploymentShape): Residency {
    if (shape.residency === 'local-only') return { kind: 'local-only' }
    if (shape.residency?.startsWith('regions=') === true) return { kind: 'regions', regions: shape.residency.slice(8).split(',') }
    return { kind: 'global' }
  }

  function createDeployment (s: SimSite): void {
    const shape = newShape(s)
    const residency = residencyOf(shape)
    const byAnnotation = residency.kind === 'regions' ? residency.regions : undefined
    const byPolicy = shape.tier === 'resident' ? resident.get(s.id) : undefined
    const residencyRegions = intersect(byAnnotation, byPolicy)
    const obj = deploymentManifest(shape)
    const spec: WorkloadSpec = {
      key: keyOf(obj), origin: s.id, shape, residency, perReplica: perReplicaOf(shape),
      ...(residencyRegions === undefined ? {} : { residencyRegions }),
      lastChangeMs: engine.nowMs(), acknowledged: false, deleted: false
    }
    specs.set(spec.key, spec)
    put(s, obj, 'create')
  }

  function initial (s: SimSite): void {
    const namespace = ns(s)
    regional.set(s.id, [s.region])
    resident.set(s.id, [s.region])
    put(s, spreadPolicy(namespace), 'policy')
    put(s, regionalPolicy(namespace, [s.region]), 'policy')
    put(s, residentPolicy(namespace, [s.region]), 'policy')
    put(s, duplicatedPolicy(namespace), 'policy')
    if (gpuAvailable) put(s, gpuPolicy(namespace), 'policy')
    for (let i = 0; i < o.workload.deploymentsPerSite; i++) createDeployment(s)
    for (let i = 0; i < o.workload.servicesPerSite; i++) {
      const name = nextName(s, 'svc')
      put(s, serviceManifest(name, namespace), 'create')
      put(s, configMapManifest(`${name}-config`, namespace, `value-${randomInt(rng, 1, 1000)}`), 'create')
    }
  }

  function liveOf (s: SimSite): WorkloadSpec[] {
    return [...specs.values()].filter((w) => w.origin === s.id && !w.deleted && w.acknowledged).sort((a, b) => a.key < b.key ? -1 : 1)
  }

  function randomChange (): void {
    const up = world.sites.filter((s) => s.state === 'up')
    if (up.length === 0) return
    const s = up[randomInt(rng, 0, up.length - 1)] as SimSite
    const live = liveOf(s)
    const roll = rng.nextFloat()
    const pick = (): WorkloadSpec | undefined => live.length === 0 ? undefined : live[randomInt(rng, 0, live.length - 1)]
    if (roll < 0.3 || live.length === 0) { createDeployment(s); return }
    if (roll < 0.5) {
      const w = pick()!
      w.shape = { ...w.shape, image: `registry.example/app:${randomInt(rng, 10, 99)}` }
      w.lastChangeMs = engine.nowMs()
      put(s, deploymentManifest(w.shape), 'update')
      return
    }
    if (roll < 0.7) {
      const w = pick()!
      w.shape = { ...w.shape, replicas: randomInt(rng, 1, o.workload.maxReplicas) }
      w.lastChangeMs = engine.nowMs()
      put(s, deploymentManifest(w.shape), 'scale')
      return
    }
    if (roll < 0.9 && regions.length > 1) {
      // Move the site's regional workloads: a placement change that drains old clusters.
      const current = regional.get(s.id) ?? [s.region]
      const next = regions[(regions.indexOf(current[0] as string) + 1) % regions.length] as string
      regional.set(s.id, [next])
      for (const w of live) if (w.shape.tier === 'regional') w.lastChangeMs = engine.nowMs()
      put(s, regionalPolicy(ns(s), [next]), 'move')
      return
    }
    const w = pick()!
    if (live.length > 2) remove(s, w)
  }

  function scheduleChanges (): void {
    const every = o.workload.changeEveryMs
    if (every <= 0) return
    const until = o.durationMs - o.faults.quietTailMs
    const next = (): void => {
      const gap = -Math.log(1 - rng.nextFloat()) * every
      if (engine.nowMs() + gap >= until) return
      engine.setTimer(gap, () => { randomChange(); next() })
    }
    next()
  }

  return {
    book,
    start () {
      // Initial objects once each site is up; sites that are down then get theirs when they first come up.
      const pending = new Set(world.sites.map((s) => s.id))
      world.addHooks({
        up (s) {
          if (!pending.delete(s.id)) return
          engine.setTimer(500 + randomInt(rng.fork(`initial-${s.id}`), 0, 2_000), () => { initial(s) })
        }
      })
      engine.setTimer(o.faults.warmupMs / 2, scheduleChanges)
    }
  }
}
