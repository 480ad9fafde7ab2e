/**
 * The site's API as the real kubectl sees it, with the kubeconfigs `flotilla init`
 * writes: server-side apply of a Deployment, Service, Ingress and PropagationPolicy,
 * the federation columns of `get deploy -A`, clusters and sites, a bounded `get -w`,
 * field errors for a bad manifest, refusals by origin and by role, and delete.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workloadKey } from '../../src/model/kube.ts'
import { startHarness, type Harness } from './support/harness.ts'
import { hasKubectl, KUBECTL, kubectlRunner, until, type Run } from './support/kubectl.ts'
import { BAD_POLICY_YAML, BAD_YAML, clusterRecord, deployment, share, WEB_STACK_YAML } from './support/manifests.ts'

describe.skipIf(!hasKubectl)(`real kubectl (${KUBECTL}) against a site's API${hasKubectl ? '' : ' — SKIPPED: kubectl not installed'}`, () => {
  let h: Harness
  let kubectl: (...args: string[]) => Promise<Run>
  let spawnKubectl: ReturnType<typeof kubectlRunner>['spawn']
  const webKey = workloadKey({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } })
  /** The origin (this site) binds web to `placement` for its current generation, as its controller would. */
  const bindWeb = (placement: Array<{ cluster: string, replicas: number }>): void => {
    h.site.change((v) => ({
      ...v,
      workloads: v.workloads.map((w) => (w.key !== webKey ? w : {
        ...w, bindings: [{ workload: webKey, placement, decidedBy: 'eu-west', generation: w.generation, inputHeads: 'h', reason: 'no-binding', decidedAt: 1 }]
      }))
    }))
  }

  beforeAll(async () => {
    h = await startHarness({ siteId: 'eu-west', region: 'eu-west' })
    h.site.addSite('ap-east', 'ap-east')
    h.site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west', { gpu: 4 }))
    h.site.addCluster(clusterRecord('ap-east', 'c2', 'ap-east'))
    const catalog = h.site.seedWorkload('ap-east', deployment('catalog', { namespace: 'shop', replicas: 2 }))
    h.site.setShares(catalog.key, [share(catalog.key, 'ap-east.c2', 2)])
    writeFileSync(join(h.dir, 'web.yaml'), WEB_STACK_YAML)
    writeFileSync(join(h.dir, 'bad.yaml'), BAD_YAML)
    writeFileSync(join(h.dir, 'bad-policy.yaml'), BAD_POLICY_YAML)
    writeFileSync(join(h.dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: stray}\nspec: {containers: [{name: c, image: busybox}]}\n')
    const runner = kubectlRunner(h.dir, h.kubeconfig('admin'))
    kubectl = runner.run
    spawnKubectl = runner.spawn
  })

  afterAll(async () => { await h.close() })

  it('apply --server-side stores a Deployment, Service, Ingress and PropagationPolicy at this site', async () => {
    const r = await kubectl('apply', '--server-side', '-f', 'web.yaml')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual([
      'deployment.apps/web serverside-applied',
      'service/web serverside-applied',
      'ingress.networking.k8s.io/web serverside-applied',
      'propagationpolicy.policy.flotilla.io/web-spread serverside-applied'
    ])
    const view = h.site.view()
    expect(view.workloads.filter((w) => w.origin === 'eu-west').map((w) => w.key).sort())
      .toEqual(['apps/Deployment/default/web', 'core/Service/default/web', 'networking.k8s.io/Ingress/default/web'])
    expect(view.policies.map((p) => [p.key, p.origin])).toEqual([['policy.flotilla.io/PropagationPolicy/default/web-spread', 'eu-west']])
    const again = await kubectl('apply', '--server-side', '-f', 'web.yaml')
    expect(again.code, again.stderr).toBe(0)
  })

  it('get deploy -A lists the workloads of both origin sites with their origin, placement and readiness', async () => {
    bindWeb([{ cluster: 'ap-east.c2', replicas: 1 }, { cluster: 'eu-west.c1', replicas: 2 }])
    h.site.setShares(webKey, [share(webKey, 'eu-west.c1', 2), share(webKey, 'ap-east.c2', 1)])
    const r = await kubectl('get', 'deploy', '-A')
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/))
    expect(lines[0]).toEqual(['NAMESPACE', 'NAME', 'ORIGIN-SITE', 'PLACEMENT', 'READY', 'AGE'])
    expect(lines.slice(1).map((l) => l.slice(0, 5))).toEqual([
      ['default', 'web', 'eu-west', 'ap-east.c2=1,eu-west.c1=2', '3/3'],
      ['shop', 'catalog', 'ap-east', 'ap-east.c2=2', '2/2']
    ])
    const json = JSON.parse((await kubectl('get', 'deploy', 'web', '-o', 'json')).stdout) as { status: Record<string, unknown> }
    expect(json.status).toMatchObject({
      readyReplicas: 3, replicas: 3,
      flotilla: { origin: 'eu-west', placement: [{ cluster: 'ap-east.c2', replicas: 1, ready: 1 }, { cluster: 'eu-west.c1', replicas: 2, ready: 2 }], ready: 3, desired: 3 }
    })
  })

  it('get clusters and get sites print the federation from the view', async () => {
    const clusters = await kubectl('get', 'clusters')
    expect(clusters.code, clusters.stderr).toBe(0)
    const rows = clusters.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/))
    expect(rows[0]).toEqual(['NAME', 'SITE', 'REGION', 'READY', 'GPU', 'AGE'])
    expect(rows.slice(1).map((r) => r.slice(0, 5))).toEqual([['ap-east.c2', 'ap-east', 'ap-east', 'True', '0'], ['eu-west.c1', 'eu-west', 'eu-west', 'True', '1/4']])
    const sites = await kubectl('get', 'sites')
    expect(sites.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['NAME', 'REGION', 'ZONE', 'CLUSTERS', 'LIVENESS'], ['ap-east', 'ap-east', 'ap-east-a', '1', 'unknown'], ['eu-west', 'eu-west', 'eu-west-a', '1', 'self']
    ])
    const short = await kubectl('get', 'pp,svc,ing,cm', '-n', 'default')
    expect(short.code, short.stderr).toBe(0)
    expect(short.stdout).toMatch(/propagationpolicy\.policy\.flotilla\.io\/web-spread\s+5\s+eu-west/)
  })

  it('get -w prints the table, then a row when the workload changes (bounded to about 2 s)', async () => {
    const watch = spawnKubectl('get', 'deploy', 'web', '-w')
    let out = ''
    watch.stdout?.on('data', (b: Buffer) => { out += b.toString() })
    const exited = new Promise((resolve) => watch.once('exit', resolve))
    const killer = setTimeout(() => watch.kill('SIGTERM'), 2_000)
    try {
      await until('the watch to print the table', () => out.includes('NAME'), 5_000)
      const scaled = await kubectl('scale', 'deploy', 'web', '--replicas=5')
      expect(scaled.code, scaled.stderr).toBe(0)
      bindWeb([{ cluster: 'ap-east.c2', replicas: 2 }, { cluster: 'eu-west.c1', replicas: 3 }])
      await until('the watch to print the update', () => /ap-east\.c2=2,eu-west\.c1=3\s+3\/5/.test(out), 5_000)
    } finally {
      clearTimeout(killer)
      watch.kill('SIGTERM')
      await exited
    }
    const rows = out.trim().split('\n')
    expect(rows[0]).toMatch(/^NAME\s+ORIGIN-SITE\s+PLACEMENT\s+READY\s+AGE$/)
    expect(rows[1]).toMatch(/^web\s+eu-west\s+ap-east\.c2=1,eu-west\.c1=2\s+3\/3\s/)
    expect(rows.length).toBeGreaterThanOrEqual(3)
  })

  it('a bad manifest fails with each bad field listed, and nothing is stored', async () => {
    const before = h.site.writes
    const r = await kubectl('apply', '--server-side', '-f', 'bad.yaml')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('The Deployment "broken" is invalid')
    for (const field of ['spec.replicas', 'spec.template.metadata.labels', 'spec.template.spec.containers[0].image', 'metadata.annotations["flotilla.io/residency"]']) {
      expect(r.stderr).toContain(`* ${field}:`)
    }
    const policy = await kubectl('apply', '--server-side', '-f', 'bad-policy.yaml')
    expect(policy.code).not.toBe(0)
    expect(policy.stderr).toContain('The PropagationPolicy "impossible" is invalid')
    expect(policy.stderr).toContain('* spec.placement.spreadConstraints[0].minGroups:')
    expect(policy.stderr).toContain('* spec.placement.replicaScheduling.replicaSchedulingType:')
    const unknown = await kubectl('apply', '--server-side', '-f', 'pod.yaml')
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('no matches for kind "Pod" in version "v1"')
    expect(h.site.writes).toBe(before)
    expect((await kubectl('get', 'deploy', 'broken')).stderr).toContain('deployments.apps "broken" not found')
  })

  it('refuses to change a workload another site created, naming that site', async () => {
    const r = await kubectl('delete', 'deploy', 'catalog', '-n', 'shop')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('Error from server (Forbidden): deployments.apps "catalog" is forbidden: it was created at site "ap-east"')
    expect(h.site.view().workloads.some((w) => w.manifest.metadata.name === 'catalog')).toBe(true)
  })

  it('the viewer\'s kubeconfig reads but may not write, and the message names the role and verb', async () => {
    const viewer = kubectlRunner(h.dir, h.kubeconfig('viewer')).run
    expect((await viewer('get', 'deploy', '-A')).code).toBe(0)
    const r = await viewer('apply', '--server-side', '-f', 'web.yaml')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('User "viewer@eu-west" (role "viewer") cannot patch resource "deployments" in API group "apps"')
    const token = await viewer('--context', 'eu-west-viewer-token', 'get', 'clusters', '-o', 'name')
    expect(token.stdout.trim().split('\n')).toEqual(['cluster.cluster.flotilla.io/ap-east.c2', 'cluster.cluster.flotilla.io/eu-west.c1'])
  })

  it('delete removes what this site created', async () => {
    const r = await kubectl('delete', '-f', 'web.yaml')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual([
      'deployment.apps "web" deleted', 'service "web" deleted', 'ingress.networking.k8s.io "web" deleted', 'propagationpolicy.policy.flotilla.io "web-spread" deleted'
    ])
    expect(h.site.view().workloads.map((w) => w.manifest.metadata.name)).toEqual(['catalog'])
    const left = await kubectl('get', 'deploy', '-A', '-o', 'name')
    expect(left.stdout.trim()).toBe('deployment.apps/catalog')
  })
})
