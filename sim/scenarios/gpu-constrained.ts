/**
 * GPU-constrained placement: only two of six sites have GPU nodes and half of the
 * workloads ask for whole GPUs or vGPU shares; one GPU site is lost for a minute. GPU
 * work that no longer fits anywhere must stay unplaced or degraded — never forced onto
 * clusters without GPUs, never outside its regions — and come back when capacity does.
 */
import type { Scenario } from './index.ts'

export const gpuConstrained: Scenario = {
  name: 'gpu-constrained',
  description: '6 sites, 3 regions, 3 min; GPUs on s0 and s3 only, half the workloads need GPU or vGPU; s3 lost at 50 s for 60 s',
  defaults: () => ({
    sites: 6,
    regions: 3,
    durationMs: 180_000,
    clusters: { gpuEvery: 3, gpusPerNode: 2 },
    workload: { gpu: 0.5, deploymentsPerSite: 5 },
    faults: { scheduled: [{ atMs: 50_000, kind: 'site-loss', site: 's3', downMs: 60_000 }] }
  })
}
