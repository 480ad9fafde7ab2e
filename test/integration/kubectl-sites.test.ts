/**
 * The real kubectl against running sites (issue 6): two site processes (LevelDB, libp2p
 * on loopback, one emulated member cluster each, the Kubernetes API with the
 * kubeconfigs `flotilla init` wrote), written to with kubectl at each. Against eu,
 * `get clusters` shows both sites' clusters once they have replicated. At site eu:
 * `apply --server-side` of a Deployment, Service, Ingress and PropagationPolicy; at site
 * ap, a second Deployment. Then, against eu: `get deploy -A` lists both with their
 * ORIGIN-SITE once ap's write has replicated, a bounded `get -w` prints the object, deleting ap's Deployment is refused naming ap,
 * deleting eu's own works, a bad manifest prints each field error, a policy that
 * contradicts itself prints each field it cannot satisfy, and one that matches no
 * cluster is stored with kubectl printing the site's warning. Every wait is bounded.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startClusterFederation, type ClusterFederation } from '../support/cluster-federation.ts'
import { eventually } from '../support/processes.ts'
import { hasKubectl, KUBECTL, kubectlRunner, type Run } from '../api/support/kubectl.ts'
import { BAD_YAML, WEB_STACK_YAML } from '../api/support/manifests.ts'

const CATALOG_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: catalog
  namespace: shop
  labels: {app: catalog}
spec:
  replicas: 1
  selector:
    matchLabels: {app: catalog}
  template:
    metadata:
      labels: {app: catalog}
    spec:
      containers:
      - name: catalog
        image: registry.example.com/catalog:2.1
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`

const CONTRADICTORY_YAML = `apiVersion: policy.flotilla.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: impossible
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment}
  residency:
    regions: [eu-west]
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
        - {key: region, operator: In, values: [ap-east]}
    replicaScheduling:
      replicaSchedulingType: Duplicated
      weightPreference:
        dynamicWeight: AvailableReplicas
`

const NO_CLUSTER_YAML = `apiVersion: policy.flotilla.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: us-only
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: later}
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
        - {key: region, operator: In, values: [us-east]}
`

/** kubectl's table as rows of cells (columns are separated by at least two spaces). */
function rows (out: string): string[][] {
  return out.trim().split('\n').filter((l) => l !== '').map((l) => l.trim().split(/\s{2,}/))
}

describe.skipIf(!hasKubectl)(`real kubectl (${KUBECTL}) against two running sites${hasKubectl ? '' : ' — SKIPPED: no kubectl on PATH or at /usr/bin/kubectl'}`, () => {
  let fed: ClusterFederation
  let atEu: (...args: string[]) => Promise<Run>
  let atAp: (...args: string[]) => Promise<Run>
  let spawnAtEu: ReturnType<typeof kubectlRunner>['spawn']

  beforeAll(async () => {
    fed = await startClusterFederation({
      name: 'kubectl-sites',
      sites: [
        { id: 'eu', region: 'eu-west', clusters: 1, api: true },
        { id: 'ap', region: 'ap-east', clusters: 1, api: true }
      ],
      failover: { heartbeatMs: 500, suspectMs: 2000, failMs: 4000, stabilizationMs: 2000 }
    })
    const files: Record<string, string> = { 'web.yaml': WEB_STACK_YAML, 'catalog.yaml': CATALOG_YAML, 'bad.yaml': BAD_YAML, 'impossible.yaml': CONTRADICTORY_YAML, 'us-only.yaml': NO_CLUSTER_YAML }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(fed.dir, name), text)
    // Each kubectl gets its own HOME and discovery cache, apart from the sites' data.
    for (const d of ['kubectl-eu', 'kubectl-ap']) mkdirSync(join(fed.dir, d))
    const eu = kubectlRunner(join(fed.dir, 'kubectl-eu'), fed.site('eu').kubeconfig!)
    atEu = eu.run
    spawnAtEu = eu.spawn
    atAp = kubectlRunner(join(fed.dir, 'kubectl-ap'), fed.site('ap').kubeconfig!).run
  }, 45_000)

  afterAll(async () => { await fed?.close() }, 20_000)

  it('applies at both sites, lists both origins at one, watches, refuses and deletes, and prints field errors and warnings', async () => {
    expect(await fed.waitAllAlive(15_000)).toBe(true)
    // Each site reports its own cluster; eu's view holds ap's once it has replicated.
    let clusters: string[][] = []
    const bothClusters = await eventually(async () => {
      const r = await atEu('get', 'clusters')
      clusters = r.code === 0 ? rows(r.stdout) : []
      return clusters.length === 3
    }, 10_000, 500)
    expect(bothClusters, JSON.stringify(clusters)).toBe(true)
    expect(clusters[0]!.slice(0, 3)).toEqual(['NAME', 'SITE', 'REGION'])
    expect(clusters.slice(1).map((r) => r.slice(0, 3))).toEqual([['ap.c1', 'ap', 'ap-east'], ['eu.c1', 'eu', 'eu-west']])

    const applied = await atEu('apply', '--server-side', '-f', join(fed.dir, 'web.yaml'))
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout.trim().split('\n')).toEqual([
      'deployment.apps/web serverside-applied',
      'service/web serverside-applied',
      'ingress.networking.k8s.io/web serverside-applied',
      'propagationpolicy.policy.flotilla.io/web-spread serverside-applied'
    ])
    // The policy matches the clusters of both sites: no warning.
    expect(applied.stderr).not.toContain('Warning:')
    const atApApplied = await atAp('apply', '--server-side', '-f', join(fed.dir, 'catalog.yaml'))
    expect(atApApplied.code, atApApplied.stderr).toBe(0)
    expect(atApApplied.stdout.trim()).toBe('deployment.apps/catalog serverside-applied')

    // ap's Deployment reaches eu by replication; eu lists both with the site each came from.
    let listed: string[][] = []
    const both = await eventually(async () => {
      const r = await atEu('get', 'deploy', '-A')
      listed = r.code === 0 ? rows(r.stdout) : []
      return listed.length === 3
    }, 15_000, 500)
    expect(both, JSON.stringify(listed)).toBe(true)
    expect(listed[0]).toEqual(['NAMESPACE', 'NAME', 'ORIGIN-SITE', 'PLACEMENT', 'READY', 'AGE'])
    expect(listed.slice(1).map((r) => r.slice(0, 3))).toEqual([['default', 'web', 'eu'], ['shop', 'catalog', 'ap']])

    // A watch for about two seconds: it prints the table header and the object, then is stopped.
    const watch = spawnAtEu('get', 'deploy', 'web', '-w')
    let watched = ''
    watch.stdout?.on('data', (b: Buffer) => { watched += b.toString() })
    const exited = new Promise((resolve) => watch.once('exit', resolve))
    const stop = setTimeout(() => watch.kill('SIGTERM'), 2_000)
    await exited
    clearTimeout(stop)
    const watchedRows = rows(watched)
    expect(watchedRows[0]?.slice(0, 2), watched).toEqual(['NAME', 'ORIGIN-SITE'])
    expect(watchedRows[1]?.slice(0, 2), watched).toEqual(['web', 'eu'])

    // ap created catalog: eu refuses to delete it, naming ap; it is still there.
    const refused = await atEu('delete', 'deploy', 'catalog', '-n', 'shop')
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('Error from server (Forbidden): deployments.apps "catalog" is forbidden: it was created at site "ap"')
    expect((await atEu('get', 'deploy', 'catalog', '-n', 'shop', '-o', 'name')).stdout.trim()).toBe('deployment.apps/catalog')

    const deleted = await atEu('delete', 'deploy', 'web')
    expect(deleted.code, deleted.stderr).toBe(0)
    expect(deleted.stdout.trim()).toBe('deployment.apps "web" deleted')
    expect(rows((await atEu('get', 'deploy', '-A')).stdout).slice(1).map((r) => r.slice(0, 3))).toEqual([['shop', 'catalog', 'ap']])

    const bad = await atEu('apply', '--server-side', '-f', join(fed.dir, 'bad.yaml'))
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('The Deployment "broken" is invalid')
    for (const field of ['spec.replicas', 'spec.template.metadata.labels', 'spec.template.spec.containers[0].image', 'metadata.annotations["flotilla.io/residency"]']) {
      expect(bad.stderr).toContain(`* ${field}:`)
    }

    const impossible = await atEu('apply', '--server-side', '-f', join(fed.dir, 'impossible.yaml'))
    expect(impossible.code).not.toBe(0)
    expect(impossible.stderr).toContain('The PropagationPolicy "impossible" is invalid')
    expect(impossible.stderr).toContain('* spec.residency.regions: cannot be satisfied: no region it allows is admitted by spec.placement.clusterAffinity')
    expect(impossible.stderr).toContain('* spec.placement.replicaScheduling.weightPreference: cannot be satisfied: weighs a division of replicas, but replicaSchedulingType is Duplicated')
    expect((await atEu('get', 'pp', 'impossible')).stderr).toContain('"impossible" not found')

    const warned = await atEu('apply', '--server-side', '-f', join(fed.dir, 'us-only.yaml'))
    expect(warned.code, warned.stderr).toBe(0)
    expect(warned.stdout.trim()).toBe('propagationpolicy.policy.flotilla.io/us-only serverside-applied')
    expect(warned.stderr).toMatch(/^Warning: no cluster in this site's view matches the placement \(2 clusters: ap\.c1: region ap-east is not in \[us-east\]; eu\.c1: region eu-west is not in \[us-east\]\); the policy is stored/m)
  }, 40_000)
})
