/**
 * The demo's member clusters: one Kubernetes emulator (sim/kube) per cluster of the
 * layout, run inside the demo's own process on fixed ports, each writing the kubeconfig
 * its site's config points at. They live in the supervisor rather than in the site
 * processes, so killing a site leaves its clusters running, as in a real site outage;
 * and rather than as six more child processes, which would cost a Node start-up and
 * ~50 MB each on a laptop for clusters that hold a few dozen pods. Emulated clusters keep
 * no state on disk: after a restart the sites re-apply what they placed there.
 */
import { FlotillaError, isFlotillaError } from '../model/errors.ts'
import { startKubeEmulator, uniformNodes, type KubeEmulator } from '../../sim/kube/index.ts'
import type { DemoLayout } from './layout.ts'

export interface DemoCluster {
  site: string
  name: string
  /** `<site>.<name>`, the cluster's id in the federation. */
  id: string
  emulator: KubeEmulator
  kubeconfigPath: string
}

export interface DemoClusters {
  clusters: DemoCluster[]
  close (): Promise<void>
}

export async function startDemoClusters (layout: DemoLayout): Promise<DemoClusters> {
  const clusters: DemoCluster[] = []
  const closeAll = async (): Promise<void> => {
    await Promise.all(clusters.map(async (c) => { await c.emulator.close().catch(() => undefined) }))
  }
  try {
    for (const site of layout.sites) {
      for (const spec of site.clusters) {
        const id = `${site.id}.${spec.name}`
        let emulator: KubeEmulator
        try {
          emulator = await startKubeEmulator({
            name: id,
            host: layout.host,
            port: spec.port,
            adminPort: spec.adminPort,
            nodes: uniformNodes({ count: spec.nodes, gpuNodes: spec.gpuNodes, gpusPerNode: Math.max(1, spec.gpusPerNode), prefix: `${spec.name}-node` }),
            readyDelayMs: layout.readyDelayMs,
            kubeconfigPath: spec.kubeconfigPath
          })
        } catch (e) {
          if (isFlotillaError(e, 'port-in-use')) {
            throw new FlotillaError('port-in-use', `cannot start the emulated cluster ${id}: ${e.message}`,
              'Another program took the port after the check: stop it, or move the demo\'s ports with --base-port, e.g. `npm start -- --base-port 8400`.',
              { cause: e, ...(e.details === undefined ? {} : { details: e.details }) })
          }
          throw e
        }
        clusters.push({ site: site.id, name: spec.name, id, emulator, kubeconfigPath: spec.kubeconfigPath })
      }
    }
  } catch (e) {
    await closeAll()
    throw e
  }
  return { clusters, close: closeAll }
}
