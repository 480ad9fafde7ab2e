/**
 * The named scenarios: each is a set of defaults (sites, regions, workload, faults,
 * Byzantine peers) for a story worth replaying, on top of which command-line options
 * still apply. `standard` is what swarms run unless told otherwise.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import type { ScenarioInput } from '../runner/options.ts'
import { byzantineMinority } from './byzantine-minority.ts'
import { gpuConstrained } from './gpu-constrained.ts'
import { regionalPartition } from './regional-partition.ts'
import { rollingRestarts } from './rolling-restarts.ts'
import { siteLoss } from './site-loss.ts'
import { standard } from './standard.ts'

export interface Scenario {
  name: string
  description: string
  /** The scenario's defaults; the caller's options are laid over them. */
  defaults (): ScenarioInput
}

export const SCENARIOS: readonly Scenario[] = [standard, siteLoss, regionalPartition, byzantineMinority, rollingRestarts, gpuConstrained]

export function scenarioByName (name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name)
  if (s === undefined) {
    throw new FlotillaError('input-invalid', `'--scenario' must be one of ${SCENARIOS.map((x) => x.name).join(', ')}: received ${JSON.stringify(name)}`,
      'Run `npm run sim -- --list` for the named scenarios.')
  }
  return s
}

/** `overrides` laid over the scenario's defaults, group by group. */
export function withScenario (scenario: Scenario, overrides: ScenarioInput): ScenarioInput {
  const base = scenario.defaults()
  return {
    ...base,
    ...overrides,
    scenario: scenario.name,
    clusters: { ...base.clusters, ...overrides.clusters },
    workload: { ...base.workload, ...overrides.workload },
    network: { ...base.network, ...overrides.network },
    faults: { ...base.faults, ...overrides.faults },
    failover: { ...base.failover, ...overrides.failover },
    checks: { ...base.checks, ...overrides.checks }
  }
}
