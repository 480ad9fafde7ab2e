/**
 * Push mode: the site drives a member cluster directly through its Kubernetes API with
 * @kubernetes/client-node. `createPushDriver` loads the kubeconfig (path, YAML or a
 * `KubeConfig`, with an optional context) and binds the shared reconciler to a
 * client-node `KubeClient`; the pull-mode agent uses the same factory against its local
 * cluster.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { createClientNodeClient } from './client-node-client.ts'
import { loadKubeConfig, type KubeconfigSource } from './kubeconfig.ts'
import { createReconciler, type ReconcilerOptions, type ReconcilingDriver } from './reconciler.ts'

export interface PushDriverOptions extends Omit<ReconcilerOptions, 'client'> {
  /** Path of a kubeconfig file, `{ yaml }`, or a loaded `KubeConfig`. */
  kubeconfig: string | KubeConfig | { yaml: string }
  /** Kubeconfig context; default: its current context. */
  context?: string
  /** Longest wait for one API call. Default 30,000 ms. */
  requestTimeoutMs?: number
}

export function createPushDriver (options: PushDriverOptions): ReconcilingDriver {
  const kc = loadKubeConfig(options.kubeconfig as KubeconfigSource, options.context)
  const client = createClientNodeClient({
    kubeconfig: kc,
    clock: options.clock,
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs })
  })
  const { kubeconfig: _k, context: _c, requestTimeoutMs: _t, ...rest } = options
  return createReconciler({ ...rest, client })
}
