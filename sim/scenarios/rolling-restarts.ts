/**
 * Rolling restarts: every site's process is restarted in turn (down 8 s, 25 s apart), as
 * an upgrade would. Its clusters keep running. Nothing acknowledged may be lost, no
 * workload may dip to zero ready replicas, and no restart may trigger a failover storm.
 */
import type { ScheduledFault } from '../faults/plan.ts'
import type { Scenario } from './index.ts'

export const rollingRestarts: Scenario = {
  name: 'rolling-restarts',
  description: '5 sites, 3 regions, 3 min; each site restarted in turn, 8 s down, every 25 s',
  defaults: () => {
    const scheduled: ScheduledFault[] = Array.from({ length: 5 }, (_, i) => ({ atMs: 20_000 + i * 25_000, kind: 'crash' as const, site: `s${i}`, downMs: 8_000 }))
    return { sites: 5, regions: 3, durationMs: 180_000, faults: { scheduled } }
  }
}
