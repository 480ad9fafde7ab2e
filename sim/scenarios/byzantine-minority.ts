/**
 * Byzantine minority: two of seven sites run every Byzantine behaviour (forgery, foreign
 * writes, equivocation, replays, withholding, floods, malformed bytes, lies about their
 * clusters, false death claims) with no other fault. Honest sites must converge, accept
 * nothing unsigned or unauthorized, convict no honest peer and fail over no honest site.
 */
import type { Scenario } from './index.ts'

export const byzantineMinority: Scenario = {
  name: 'byzantine-minority',
  description: '7 sites, 3 regions, 3 min; 2 Byzantine sites with every behaviour, no other fault',
  defaults: () => ({
    sites: 7,
    regions: 3,
    durationMs: 180_000,
    faults: { byzantine: 2 }
  })
}
