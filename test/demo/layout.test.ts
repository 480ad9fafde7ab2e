/**
 * The demo's layout and its pure judgements: ports are distinct, fixed offsets from the
 * base port inside one block per site; the sample names a region-restricted and a
 * local-only object; a workload is Ready only when every planned cluster runs exactly
 * its planned replicas and nothing is degraded.
 */
import { describe, expect, it } from 'vitest'
import { demoLayout, DEFAULT_BASE_PORT, lastPort, layoutPorts, PORTS_PER_SITE } from '../../src/demo/layout.ts'
import { judgeStatus } from '../../src/demo/readiness.ts'
import { sampleObjects } from '../../src/demo/sample.ts'
import { renderBanner } from '../../src/demo/banner.ts'
import type { FlotillaStatus } from '../../src/api/render.ts'

describe('demo layout', () => {
  it('gives every listener its own port in one block per site, the dashboard first', () => {
    const layout = demoLayout({ dir: '/x/.flotilla' })
    expect(layout.basePort).toBe(DEFAULT_BASE_PORT)
    const ports = layoutPorts(layout).map((p) => p.port)
    expect(new Set(ports).size).toBe(ports.length)
    expect(Math.min(...ports)).toBe(DEFAULT_BASE_PORT)
    expect(Math.max(...ports)).toBe(lastPort(DEFAULT_BASE_PORT))
    layout.sites.forEach((s, i) => {
      expect(s.ports.dashboard).toBe(DEFAULT_BASE_PORT + i * PORTS_PER_SITE)
      expect(s.clusters.map((c) => c.name)).toEqual(['main', 'gpu'])
      expect(s.clusters[1]!.gpuNodes).toBeGreaterThan(0)
      expect(s.clusters[0]!.kubeconfigPath).toBe(`/x/.flotilla/${s.id}/clusters/main.kubeconfig`)
    })
  })

  it('deploys policies, a spread web front, a region-restricted GPU workload and a local-only record', () => {
    const objects = sampleObjects({ region: 'eu-west' })
    expect(objects.map((o) => o.label)).toEqual([
      'propagationpolicy.policy.flotilla.io/web', 'propagationpolicy.policy.flotilla.io/inference', 'propagationpolicy.policy.flotilla.io/restricted-data',
      'deployment.apps/web', 'service/web', 'ingress.networking.k8s.io/web', 'deployment.apps/inference', 'configmap/customer-records'
    ])
    expect(objects.find((o) => o.label === 'deployment.apps/inference')!.manifest.metadata.annotations).toEqual({ 'flotilla.io/residency': 'regions=eu-west' })
    expect(objects.filter((o) => o.localOnly).map((o) => o.path)).toEqual(['/api/v1/namespaces/shop/configmaps/customer-records'])
    expect(objects.find((o) => o.label === 'deployment.apps/web')!.path).toBe('/apis/apps/v1/namespaces/shop/deployments/web')
  })
})

describe('judgeStatus', () => {
  const status = (placement: Array<[string, number, number]>, extra: Partial<FlotillaStatus> = {}): FlotillaStatus => ({
    origin: 'eu-west', residency: 'global', stateless: true, generation: 1,
    placement: placement.map(([cluster, replicas, ready]) => ({ cluster, replicas, ready })),
    desired: placement.reduce((n, p) => n + p[1], 0),
    ready: placement.filter((p) => p[1] > 0).reduce((n, p) => n + p[2], 0),
    ...extra
  })

  it('is Ready when every planned cluster runs exactly its replicas, ignoring copies draining outside the plan', () => {
    expect(judgeStatus(status([['a.main', 2, 2], ['b.main', 2, 2], ['c.main', 0, 2]]))).toEqual({ ready: true, detail: '4/4 ready: a.main 2/2, b.main 2/2' })
  })

  it('is not Ready while replicas start, while a cluster runs more than planned, when degraded, or before placement', () => {
    expect(judgeStatus(status([['a.main', 2, 1], ['b.main', 2, 2]])).ready).toBe(false)
    expect(judgeStatus(status([['a.main', 2, 3], ['b.main', 2, 1]])).ready).toBe(false)
    expect(judgeStatus(status([['a.main', 2, 2]], { degraded: 'spread-unsatisfiable: 1 region' }))).toEqual({ ready: false, detail: '2/2 ready: a.main 2/2 (degraded: spread-unsatisfiable: 1 region)' })
    expect(judgeStatus(status([]))).toEqual({ ready: false, detail: 'not placed yet' })
    expect(judgeStatus(undefined)).toEqual({ ready: false, detail: 'no status yet' })
  })
})

describe('renderBanner', () => {
  it('uses paths relative to the working directory and points the kill at a site other than the origin', () => {
    const layout = demoLayout({ dir: '/home/me/app/.flotilla' })
    const text = renderBanner({ layout, sites: layout.sites.map((s, i) => ({ id: s.id, pid: 100 + i })), readyMs: 9_400, cwd: '/home/me/app' })
    expect(text).toContain('the sample app Ready everywhere (9.4 s)')
    expect(text).toContain('  eu-west       http://127.0.0.1:7400/    pid 100  (origin of the sample app)')
    expect(text).toContain('kubectl --kubeconfig .flotilla/eu-west/pki/kubeconfigs/admin.yaml get deploy,svc,ing,cm -n shop')
    expect(text).toContain('kill -9 102    # us-east dies')
    expect(text).toContain('turns failed after about 12 s')
    expect(text).not.toContain('FLOTILLA_HOME')
    const elsewhere = renderBanner({ layout, sites: [], readyMs: 1, cwd: '/tmp' })
    expect(elsewhere).toContain('FLOTILLA_HOME=/home/me/app/.flotilla npx flotilla get workloads --site ap-southeast')
  })
})
