/**
 * The demo's member clusters: one Kubernetes emulator (sim/kube) per cluster of the
 * layout, run inside the demo's own process on fixed ports, each writing the kubeconfig
 * its site's config points at. They live in the supervisor rather than in the site
 * processes, so killing a site leaves its clusters running, as in a real site outage;
 * and rather than as six more child processes, which would cost a Node start-up and
 * ~50 MB each on a laptop for clusters that hold a few dozen pods. Emulated clusters keep
 * no state on disk: after a restart the sites re-apply what they placed there.
 */
import { FlotillaError } from '../model/errors.ts'
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
          const err = e as NodeJS.ErrnoException
          if (err.code === 'EADDRINUSE') {
            throw new FlotillaError('port-in-use', `cannot start the emulated cluster ${id} on ${layout.host}:${spec.port}/${spec.adminPort}: ${err.code}`,
              'Another program took the port after the check; run again, or move the demo with --base-port.', { cause: e })
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
