/**
 * Regional partition: the three regions cannot reach each other for a minute. Each side
 * keeps serving (autonomy); duplicates of stateless work are allowed while apart; after
 * the heal, one placement, with no workload at zero ready replicas on the way.
 */
import type { Scenario } from './index.ts'

export const regionalPartition: Scenario = {
  name: 'regional-partition',
  description: '6 sites, 3 regions, 3 min; regions cut apart at 40 s for 60 s',
  defaults: () => ({
    sites: 6,
    regions: 3,
    durationMs: 180_000,
    faults: { scheduled: [{ atMs: 40_000, kind: 'partition', groups: 'by-region', durationMs: 60_000 }] }
  })
}
