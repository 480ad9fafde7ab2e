/**
 * What every emulated controller is given: the store (reads and internal writes that
 * bypass admission, as controllers' status writes effectively do), the naming source, the
 * clock, the owner index, the event recorder and the reconcile loop to requeue work.
 */
import type { Clock } from '../../../src/ports/clock.ts'
import type { EventRecorder } from './event-recorder.ts'
import type { Naming } from './naming.ts'
import type { ObjectStore } from './object-store.ts'
import type { OwnerIndex } from './owner-index.ts'
import type { ReconcileLoop } from './reconcile-loop.ts'

export interface ControllerContext {
  store: ObjectStore
  naming: Naming
  clock: Clock
  owners: OwnerIndex
  events: EventRecorder
  loop: ReconcileLoop
}

export function splitObjectKey (key: string): [string, string] {
  const slash = key.indexOf('/')
  return [key.slice(0, slash), key.slice(slash + 1)]
}

/** Omits zero-valued counters, as the real status structs do (`omitempty`). */
export function omitZero (status: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out = { ...status }
  for (const f of fields) if (out[f] === 0) delete out[f]
  return out
}
