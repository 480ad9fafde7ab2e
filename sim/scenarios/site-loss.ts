/**
 * Site loss: a data centre goes dark — the site's process and its clusters — 40 s in,
 * and comes back a minute later. Its stateless workloads must be Ready elsewhere within
 * the bound, nothing may cross a residency line (its region-restricted work with no
 * other cluster in the region stays degraded), and after it returns the federation fails
 * back without a moment at zero ready replicas.
 */
import type { Scenario } from './index.ts'

export const siteLoss: Scenario = {
  name: 'site-loss',
  description: '4 sites, 2 regions, 3 min; site s1 and its clusters lost at 40 s for 60 s, then back',
  defaults: () => ({
    sites: 4,
    regions: 2,
    durationMs: 180_000,
    faults: { scheduled: [{ atMs: 40_000, kind: 'site-loss', site: 's1', downMs: 60_000 }] }
  })
}
