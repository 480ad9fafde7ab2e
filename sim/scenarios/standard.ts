/**
 * The standard scenario: five sites in three regions for two virtual minutes, every
 * kind of random fault (partitions of every shape, crashes, site losses, slow disks,
 * clock steps, NotReady clusters) and one Byzantine site running every behaviour.
 * What swarms run by default.
 */
import { FAULT_KINDS } from '../runner/options.ts'
import type { Scenario } from './index.ts'

export const standard: Scenario = {
  name: 'standard',
  description: '5 sites, 3 regions, 2 min; random partitions, crashes, site losses, slow disks, clock steps, NotReady clusters; 1 Byzantine site with every behaviour',
  defaults: () => ({
    sites: 5,
    regions: 3,
    durationMs: 120_000,
    faults: { kinds: [...FAULT_KINDS], meanIntervalMs: 20_000, byzantine: 1 }
  })
}
