/**
 * Resource quantities as plain numbers in fixed units, so arithmetic in the scheduler is
 * exact and cheap: cpu in millicores, memory in bytes, vGPU memory in MiB. Parsing of
 * Kubernetes quantity strings ("500m", "2Gi") lives here too, with errors that name the
 * bad value.
 */
import { FlotillaError } from './errors.ts'

export interface Resources {
  cpuMilli: number
  memoryBytes: number
  pods: number
  /** Whole GPUs (`nvidia.com/gpu`). */
  gpu: number
  /** vGPU compute share in percent of a card (`nvidia.com/gpucores`). */
  vgpuCores: number
  /** vGPU memory in MiB (`nvidia.com/gpumem`). */
  vgpuMemoryMiB: number
}

export const GPU_RESOURCE = 'nvidia.com/gpu'
export const VGPU_CORES_RESOURCE = 'nvidia.com/gpucores'
export const VGPU_MEMORY_RESOURCE = 'nvidia.com/gpumem'

export const RESOURCE_KEYS = ['cpuMilli', 'memoryBytes', 'pods', 'gpu', 'vgpuCores', 'vgpuMemoryMiB'] as const
export type ResourceKey = typeof RESOURCE_KEYS[number]

export function zeroResources (): Resources {
  return { cpuMilli: 0, memoryBytes: 0, pods: 0, gpu: 0, vgpuCores: 0, vgpuMemoryMiB: 0 }
}

export function addResources (a: Resources, b: Resources): Resources {
  const out = zeroResources()
  for (const k of RESOURCE_KEYS) out[k] = a[k] + b[k]
  return out
}

export function subtractResources (a: Resources, b: Resources): Resources {
  const out = zeroResources()
  for (const k of RESOURCE_KEYS) out[k] = Math.max(0, a[k] - b[k])
  return out
}

export function scaleResources (a: Resources, n: number): Resources {
  const out = zeroResources()
  for (const k of RESOURCE_KEYS) out[k] = a[k] * n
  return out
}

/** How many copies of `perReplica` fit into `free` (Infinity if it asks for nothing). */
export function replicasThatFit (free: Resources, perReplica: Resources): number {
  let fit = Infinity
  for (const k of RESOURCE_KEYS) {
    if (perReplica[k] > 0) fit = Math.min(fit, Math.floor(free[k] / perReplica[k]))
  }
  return fit
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 }
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 }
const QUANTITY = /^([+-]?[0-9]*\.?[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/

/** Parses a Kubernetes quantity ("250m", "1.5", "2Gi", "1e3") into its base unit. */
export function parseQuantity (value: string | number, field = 'quantity'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
  } else {
    const m = QUANTITY.exec(value.trim())
    if (m !== null) {
      const base = Number(m[1])
      const exp = m[2] !== undefined ? Number(`1${m[2]}`) : 1
      const suffix = m[3] ?? ''
      const mult = BINARY[suffix] ?? DECIMAL[suffix] ?? 1
      const n = base * exp * mult
      if (Number.isFinite(n) && n >= 0) return n
    }
  }
  throw new FlotillaError('input-invalid', `'${field}' must be a non-negative Kubernetes quantity: received ${JSON.stringify(value)}`,
    'Use a number or a quantity such as "500m", "2", "512Mi" or "4Gi".', { details: { field, value } })
}

/** Reads a container-style resource map (`{cpu: "500m", memory: "1Gi", "nvidia.com/gpu": 1}`). */
export function resourcesFromKube (map: Record<string, string | number> | undefined, field = 'resources'): Resources {
  const r = zeroResources()
  if (map === undefined) return r
  for (const [name, raw] of Object.entries(map)) {
    const path = `${field}.${name}`
    switch (name) {
      case 'cpu': r.cpuMilli = Math.ceil(parseQuantity(raw, path) * 1000); break
      case 'memory': r.memoryBytes = Math.ceil(parseQuantity(raw, path)); break
      case 'pods': r.pods = Math.floor(parseQuantity(raw, path)); break
      case GPU_RESOURCE: r.gpu = parseQuantity(raw, path); break
      case VGPU_CORES_RESOURCE: r.vgpuCores = parseQuantity(raw, path); break
      case VGPU_MEMORY_RESOURCE: r.vgpuMemoryMiB = parseQuantity(raw, path); break
      default: break // other extended resources are not scheduled on by Flotilla
    }
  }
  return r
}

/** The inverse of `resourcesFromKube`, for nodes and capacity reports. */
export function resourcesToKube (r: Resources): Record<string, string> {
  const out: Record<string, string> = {
    cpu: `${r.cpuMilli}m`,
    memory: `${Math.round(r.memoryBytes / 2 ** 20)}Mi`,
    pods: String(r.pods)
  }
  if (r.gpu > 0) out[GPU_RESOURCE] = String(r.gpu)
  if (r.vgpuCores > 0) out[VGPU_CORES_RESOURCE] = String(r.vgpuCores)
  if (r.vgpuMemoryMiB > 0) out[VGPU_MEMORY_RESOURCE] = String(r.vgpuMemoryMiB)
  return out
}
