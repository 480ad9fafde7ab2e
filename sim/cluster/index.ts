/**
 * The simulator's member clusters: an in-memory `ClusterDriver` over the emulator's
 * cluster model (same reconciler as production), its in-process `KubeClient`, and lies
 * for Byzantine sites. See docs/clusters.md.
 */
export { createMemoryClusterDriver, type Lie, type MemoryClusterDriver, type MemoryClusterDriverOptions } from './memory-driver.ts'
export { createModelClient } from './model-client.ts'
export { claimAllReady, claimUnreachable, hideAllocation, overstateCapacity } from './lies.ts'
