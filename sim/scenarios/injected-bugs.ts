/**
 * Small, fast scenarios that give each injected bug (src/testing/injected-bugs.ts) its
 * chance to do harm, and the invariant rule that must catch it. The honest core must not
 * trip that rule on the same seeds, or a catch would prove nothing. Used by the tests
 * (the first few seeds) and by `sim/injected-bug-sweep.ts` (the full sweep).
 */
import type { InjectedBug } from '../../src/testing/injected-bugs.ts'
import type { InvariantName } from '../invariants/types.ts'
import type { ScenarioInput } from '../runner/options.ts'

export interface BugScenario {
  bug: InjectedBug
  /** Why this scenario exposes the bug. */
  story: string
  input: ScenarioInput
  /** The rule that must catch it. */
  catches: { invariant: InvariantName, rule: string }
}

const small = { sites: 4, regions: 2, durationMs: 60_000, failover: {}, checks: {} } satisfies ScenarioInput

export const BUG_SCENARIOS: readonly BugScenario[] = [
  {
    bug: 'skip-signature-check',
    story: 'a Byzantine site forges changes in honest sites\' names; honest stores must reject them, so any accepted one fails the independent signature check',
    input: { ...small, workload: { deploymentsPerSite: 2, changeEveryMs: 0 }, faults: { byzantine: 1, behaviours: ['forge'], warmupMs: 5_000, quietTailMs: 20_000 } },
    catches: { invariant: 'safety', rule: 'log' }
  },
  {
    bug: 'evict-before-ready',
    story: 'sites move their regional workloads between regions by policy; a share released before its replacement is Ready leaves the workload with no ready replica',
    input: {
      ...small,
      clusters: { readyDelayMs: [1_500, 3_000] },
      workload: { deploymentsPerSite: 4, localOnly: 0, regionRestricted: 0, gpu: 0, changeEveryMs: 4_000 },
      faults: { warmupMs: 5_000, quietTailMs: 20_000 }
    },
    catches: { invariant: 'availability', rule: 'no-gap' }
  },
  {
    bug: 'residency-filter-off',
    story: 'half of the workloads are restricted to one region; a scheduler that ignores residency places some outside it',
    input: { ...small, workload: { deploymentsPerSite: 3, regionRestricted: 0.6, localOnly: 0, changeEveryMs: 0 }, faults: { warmupMs: 5_000, quietTailMs: 20_000 } },
    catches: { invariant: 'residency', rule: 'placement' }
  },
  {
    bug: 'equivocation-rule-off',
    story: 'a Byzantine site sends two different changes at one seq to different halves of its peers; without the rule honest replicas diverge',
    input: { ...small, durationMs: 75_000, workload: { deploymentsPerSite: 2, changeEveryMs: 0 }, faults: { byzantine: 1, behaviours: ['equivocate'], warmupMs: 5_000, quietTailMs: 20_000 } },
    catches: { invariant: 'convergence', rule: 'final' }
  }
]
