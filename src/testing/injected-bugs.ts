/**
 * Deliberately broken builds of the core, for testing the simulator's invariants: a
 * checker that cannot fail is a defect, so each bug named here must be caught by an
 * invariant within a bounded number of seeds. The core reads `bugActive(name)` at
 * exactly one decision point per bug; every bug is off unless code in the same process
 * calls `setInjectedBugs`. Nothing reads it from configuration, flags or the environment:
 * only the simulator (sim/) and tests (test/) call `setInjectedBugs`, and a test fails
 * if any module under src/ does, so no production site can turn a bug on.
 */
import { FlotillaError } from '../model/errors.ts'

/** The broken decision points. */
export const INJECTED_BUGS = [
  /** src/store/log/verify.ts: a change whose signature does not verify is accepted anyway. */
  'skip-signature-check',
  /** src/controllers/decisions/own-shares.ts: a share is shrunk or stopped before its replacement is Ready. */
  'evict-before-ready',
  /** src/schedule/residency.ts: every cluster counts as inside a workload's residency. */
  'residency-filter-off',
  /** src/store/log/change-log.ts: two changes at one (actor, seq) are not treated as equivocation. */
  'equivocation-rule-off'
] as const

export type InjectedBug = typeof INJECTED_BUGS[number]

const active = new Set<InjectedBug>()

/** Whether `bug` is switched on in this process. Off unless a simulator or a test turned it on. */
export function bugActive (bug: InjectedBug): boolean {
  return active.size > 0 && active.has(bug)
}

/** Switches exactly `bugs` on (an empty list turns every bug off). For the simulator and tests only. */
export function setInjectedBugs (bugs: readonly InjectedBug[]): void {
  active.clear()
  for (const b of bugs) {
    if (!(INJECTED_BUGS as readonly string[]).includes(b)) {
      throw new FlotillaError('input-invalid', `'injectedBugs' must list only ${INJECTED_BUGS.join(', ')}: received ${JSON.stringify(b)}`, 'Name one of the known injected bugs.')
    }
    active.add(b)
  }
}

/** The bugs switched on now, sorted. */
export function activeBugs (): InjectedBug[] {
  return [...active].sort()
}
