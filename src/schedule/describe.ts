/**
 * Compact human forms of quantities for explanations: `cpu 500m, memory 512Mi,
 * nvidia.com/gpu 1`. Zero amounts and the implicit pod slot are left out.
 */
import { GPU_RESOURCE, RESOURCE_KEYS, VGPU_CORES_RESOURCE, VGPU_MEMORY_RESOURCE, type ResourceKey, type Resources } from '../model/resources.ts'

export const RESOURCE_NAMES: Record<ResourceKey, string> = {
  cpuMilli: 'cpu', memoryBytes: 'memory', pods: 'pods', gpu: GPU_RESOURCE, vgpuCores: VGPU_CORES_RESOURCE, vgpuMemoryMiB: VGPU_MEMORY_RESOURCE
}

function formatMemory (bytes: number): string {
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`
  }
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)}Mi` : `${bytes}`
}

export function formatAmount (key: ResourceKey, amount: number): string {
  switch (key) {
    case 'cpuMilli': return amount % 1000 === 0 ? `${amount / 1000}` : `${amount}m`
    case 'memoryBytes': return formatMemory(amount)
    case 'vgpuCores': return `${amount}%`
    case 'vgpuMemoryMiB': return `${amount}Mi`
    default: return `${amount}`
  }
}

export function describeResources (r: Resources): string {
  const parts = RESOURCE_KEYS.filter((k) => k !== 'pods' && r[k] > 0).map((k) => `${RESOURCE_NAMES[k]} ${formatAmount(k, r[k])}`)
  return parts.length === 0 ? 'no requests' : parts.join(', ')
}
