/**
 * Simulated nodes: how a node is described (`NodeSpec`: capacity including whole GPUs and
 * HAMi-style vGPU cores and memory, labels, taints) and the v1 Node object the cluster
 * serves for it, with the labels, addresses, conditions and node info kubectl and
 * schedulers expect. `uniformNodes` builds the usual "N nodes, G of them with GPUs" set.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import {
  GPU_RESOURCE, parseQuantity, resourcesToKube, VGPU_CORES_RESOURCE, VGPU_MEMORY_RESOURCE, type Resources
} from '../../../src/model/resources.ts'
import type { Taint } from './pod-fit.ts'

export interface NodeSpec {
  name: string
  /** CPU cores (quantity). Default "8". */
  cpu?: string | number
  /** Memory (quantity). Default "32Gi". */
  memory?: string
  /** Pod slots. Default 110. */
  pods?: number
  /** Whole GPUs (`nvidia.com/gpu`). Default 0. */
  gpu?: number
  /** vGPU compute share in percent of a card, summed over cards (`nvidia.com/gpucores`). Default 100 per GPU. */
  vgpuCores?: number
  /** vGPU memory in MiB, summed over cards (`nvidia.com/gpumem`). Default 16384 per GPU. */
  vgpuMemoryMiB?: number
  labels?: Record<string, string>
  taints?: Taint[]
  unschedulable?: boolean
}

export const EMULATED_ANNOTATION = 'kube-emulator.flotilla.io/emulated'

export function capacityOf (spec: NodeSpec): Resources {
  const gpu = spec.gpu ?? 0
  return {
    cpuMilli: Math.round(parseQuantity(spec.cpu ?? '8', `nodes.${spec.name}.cpu`) * 1000),
    memoryBytes: Math.round(parseQuantity(spec.memory ?? '32Gi', `nodes.${spec.name}.memory`)),
    pods: spec.pods ?? 110,
    gpu,
    vgpuCores: spec.vgpuCores ?? gpu * 100,
    vgpuMemoryMiB: spec.vgpuMemoryMiB ?? gpu * 16384
  }
}

/** A Node object for `spec`; `index` numbers its pod CIDR and address. */
export function nodeObject (spec: NodeSpec, index: number, kubeletVersion: string, uid: string, now: string): KubeObject {
  const capacity = resourcesToKube(capacityOf(spec))
  const hasGpu = (spec.gpu ?? 0) > 0
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': hasGpu ? 'emulated-gpu' : 'emulated',
    ...(hasGpu ? { 'nvidia.com/gpu.present': 'true' } : {}),
    ...spec.labels
  }
  const condition = (type: string, status: string, reason: string, message: string): Record<string, string> =>
    ({ type, status, lastHeartbeatTime: now, lastTransitionTime: now, reason, message })
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      uid,
      creationTimestamp: now,
      labels,
      annotations: { [EMULATED_ANNOTATION]: 'true', 'node.alpha.kubernetes.io/ttl': '0' }
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      ...(spec.taints !== undefined && spec.taints.length > 0 ? { taints: spec.taints } : {}),
      ...(spec.unschedulable === true ? { unschedulable: true } : {})
    },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      ],
      addresses: [
        { type: 'InternalIP', address: `10.0.${Math.floor(index / 250)}.${(index % 250) + 2}` },
        { type: 'Hostname', address: spec.name }
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: uid,
        containerRuntimeVersion: 'containerd://1.7.0-emulated',
        kernelVersion: '6.1.0-emulated',
        kubeProxyVersion: kubeletVersion,
        kubeletVersion,
        machineID: uid.replace(/-/g, ''),
        operatingSystem: 'linux',
        osImage: 'Flotilla emulated node',
        systemUUID: uid
      }
    }
  }
}

export interface UniformNodesOptions {
  /** Nodes in total. */
  count: number
  /** How many of them (the last ones) carry GPUs. Default 0. */
  gpuNodes?: number
  gpusPerNode?: number
  cpu?: string | number
  memory?: string
  pods?: number
  /** Name prefix; nodes are `<prefix>-0`, `<prefix>-1`... Default "node". */
  prefix?: string
  labels?: Record<string, string>
}

export function uniformNodes (o: UniformNodesOptions): NodeSpec[] {
  const gpuNodes = Math.min(o.gpuNodes ?? 0, o.count)
  const out: NodeSpec[] = []
  for (let i = 0; i < o.count; i++) {
    const gpu = i >= o.count - gpuNodes ? (o.gpusPerNode ?? 4) : 0
    const spec: NodeSpec = { name: `${o.prefix ?? 'node'}-${i}` }
    if (o.cpu !== undefined) spec.cpu = o.cpu
    if (o.memory !== undefined) spec.memory = o.memory
    if (o.pods !== undefined) spec.pods = o.pods
    if (gpu > 0) spec.gpu = gpu
    if (o.labels !== undefined) spec.labels = { ...o.labels }
    out.push(spec)
  }
  return out
}

export { GPU_RESOURCE, VGPU_CORES_RESOURCE, VGPU_MEMORY_RESOURCE }
