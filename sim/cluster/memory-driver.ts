/**
 * The simulator's `ClusterDriver`: the production reconciler (src/kube/reconciler.ts)
 * over the emulator's in-memory cluster model, with no HTTP, on the simulator's clock,
 * so a run replays exactly from its seed. It exposes the fault knobs a scenario needs
 * (API unreachable, node NotReady) and a "lie" hook for Byzantine sites: a function
 * from the true observation to the one reported, e.g. inflated capacity or workloads
 * claimed Ready (see lies.ts). `truth()` always returns what the cluster really shows.
 */
import type { Clock } from '../../src/ports/clock.ts'
import type { ClusterObservation } from '../../src/ports/cluster-driver.ts'
import { silentLogger, type Logger } from '../../src/ports/logger.ts'
import { createReconciler, type ReconcilerOptions, type ReconcilingDriver } from '../../src/kube/reconciler.ts'
import { createClusterModel, type ClusterModel, type ClusterModelOptions, type UnreachableMode } from '../kube/index.ts'
import { createModelClient } from './model-client.ts'

/** Turns the true observation into the one a lying site reports. */
export type Lie = (truth: ClusterObservation) => ClusterObservation

export interface MemoryClusterDriverOptions extends Omit<ReconcilerOptions, 'client' | 'clock' | 'logger' | 'name'> {
  name: string
  clock: Clock
  logger?: Logger
  /** The cluster to drive; default: a new model built from `modelOptions` (stopped with the driver). */
  model?: ClusterModel
  modelOptions?: Omit<ClusterModelOptions, 'clock' | 'name'>
  /** Report through this lie from the start. */
  lie?: Lie
}

export interface MemoryClusterDriver extends ReconcilingDriver {
  readonly model: ClusterModel
  /** Makes the cluster API refuse (or reset) every call, or answer again. */
  setUnreachable (unreachable: boolean | UnreachableMode): void
  setNodeReady (node: string, ready: boolean): void
  /** Starts or stops lying; listeners are told, as for any change. */
  setLie (lie: Lie | undefined): void
  /** The observation without the lie. */
  truth (): ClusterObservation
}

export function createMemoryClusterDriver (options: MemoryClusterDriverOptions): MemoryClusterDriver {
  const { name, clock, model: given, modelOptions, lie: initialLie, logger, ...reconcilerOptions } = options
  const ownsModel = given === undefined
  const model = given ?? createClusterModel({ ...modelOptions, clock, name })
  const inner = createReconciler({ ...reconcilerOptions, name, clock, logger: logger ?? silentLogger, client: createModelClient(model) })
  let lie = initialLie
  const listeners = new Set<() => void>()
  const notify = (): void => { for (const l of [...listeners]) l() }
  inner.onChange(notify)

  return {
    name,
    model,
    start: () => inner.start(),
    async stop () {
      await inner.stop()
      if (ownsModel) model.close()
    },
    setDesired: (objects) => inner.setDesired(objects),
    observe: () => (lie === undefined ? inner.observe() : lie(inner.observe())),
    truth: () => inner.observe(),
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    stats: () => inner.stats(),
    setUnreachable (unreachable) {
      model.setFault({ unreachable: unreachable === true ? 'refuse' : unreachable })
    },
    setNodeReady (node, ready) {
      model.setNodeReady(node, ready)
    },
    setLie (next) {
      lie = next
      queueMicrotask(notify)
    }
  }
}
