/**
 * Authentication and authorization of a site's API over real HTTPS: 401 without valid
 * credentials (no credentials, an unknown or altered token of any role, another site's
 * token, a certificate from another CA or without a role), and per role what it may do — admin writes, viewer and auditor get a
 * 403 naming their role and the verb, nobody writes the read-only kinds — and who sees
 * this site's local-only records (auditor and admin do; viewer does not, not even by
 * name or in a watch, and sees only the redacted stub count).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCertificateAuthority, createSitePki, issueClientCertificate, issueServerCertificate, ROLES, roleGroup, type Role } from '../../src/pki/index.ts'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startHarness, type Harness } from './support/harness.ts'
import { clusterRecord, deployment } from './support/manifests.ts'

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments'
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps'

function localOnlyConfigMap (name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { 'flotilla.io/residency': 'local-only' } }, data: { secret: 'customer-records' } }
}

describe('API authentication and role-based authorization', () => {
  let h: Harness

  beforeAll(async () => {
    h = await startHarness()
    h.site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west'))
    expect((await h.request('POST', DEPLOYMENTS, { body: deployment('seed') })).status).toBe(201)
  })

  afterAll(async () => { await h.close() })

  it('answers 401 with a Status to a request without valid credentials', async () => {
    const strangerCa = createCertificateAuthority('stranger')
    const stranger = issueClientCertificate(strangerCa, 'admin@eu-west', [roleGroup('admin')])
    const ownCa = { cert: readFileSync(h.pki.paths.caCert, 'utf8'), key: readFileSync(h.pki.paths.caKey, 'utf8') }
    const roleless = issueClientCertificate(ownCa, 'someone', ['developers'])
    const serverCertAsClient = issueServerCertificate(ownCa, 'eu-west', [])
    const attempts = [
      { as: 'anonymous' as const },
      { as: { token: 'flt_admin_not-a-real-token' } },
      { as: { token: h.pki.tokens.admin.slice(0, -1) } },
      { as: { cert: stranger.cert, key: stranger.key } },
      { as: { cert: roleless.cert, key: roleless.key } },
      { as: { cert: serverCertAsClient.cert, key: serverCertAsClient.key } }
    ]
    for (const a of attempts) {
      for (const path of [DEPLOYMENTS, '/api', '/apis/cluster.flotilla.io/v1alpha1/clusters']) {
        const r = await h.request('GET', path, a)
        expect(r.status, `${JSON.stringify(a.as).slice(0, 40)} ${path}`).toBe(401)
        expect(r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 })
      }
    }
    expect((await h.request('POST', DEPLOYMENTS, { as: 'anonymous', body: deployment('sneaky') })).status).toBe(401)
    expect(h.site.view().workloads.map((w) => w.manifest.metadata.name)).toEqual(['seed'])
    // As on a kube-apiserver, version and health need no credentials.
    expect((await h.request('GET', '/version', { as: 'anonymous' })).json()).toMatchObject({ major: '1' })
    expect((await h.request('GET', '/healthz', { as: 'anonymous' })).text).toBe('ok')
  })

  it('answers 401 to a viewer or auditor token that is not one this site issued', async () => {
    // Another site's PKI issues tokens of the same shape and roles; this site holds none of their hashes.
    const elsewhere = await createSitePki(join(h.dir, 'other-pki'), 'ap-east', ['127.0.0.1'])
    const flip = (t: string): string => `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`
    for (const role of ['viewer', 'auditor'] as Role[]) {
      const own = h.pki.tokens[role]
      expect((await h.request('GET', DEPLOYMENTS, { as: { token: own } })).status).toBe(200)
      const invalid = [flip(own), own.slice(0, -1), `${own}x`, own.toUpperCase(), `flt_${role}_${'A'.repeat(43)}`, elsewhere.tokens[role], own.replace(`flt_${role}_`, 'flt_admin_')]
      for (const token of invalid) {
        for (const [method, path] of [['GET', DEPLOYMENTS], ['GET', '/apis/cluster.flotilla.io/v1alpha1/sites'], ['GET', `${DEPLOYMENTS}?watch=1&timeoutSeconds=1`]] as const) {
          const r = await h.request(method, path, { as: { token } })
          expect(r.status, `${role} ${token.slice(0, 14)}... ${path}`).toBe(401)
          expect(r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 })
        }
      }
      // A 401, not a 403: an invalid token is nobody, whatever role its prefix names.
      const write = await h.request('POST', DEPLOYMENTS, { as: { token: flip(own) }, body: deployment(`by-${role}`) })
      expect(write.status).toBe(401)
    }
    expect(h.site.view().workloads.map((w) => w.manifest.metadata.name)).toEqual(['seed'])
  })

  it('lets every role read, by client certificate and by token', async () => {
    for (const role of ROLES) {
      for (const via of ['certificate', 'token'] as const) {
        const r = await h.request('GET', DEPLOYMENTS, { as: role, via })
        expect(r.status, `${role} via ${via}`).toBe(200)
        expect((r.json()['items'] as unknown[]).length).toBe(1)
      }
    }
  })

  it('answers 403 naming the role and the verb when viewer or auditor write, for every write verb', async () => {
    const writes: Array<{ verb: string, method: string, path: string, body?: unknown, contentType?: string }> = [
      { verb: 'create', method: 'POST', path: DEPLOYMENTS, body: deployment('nope') },
      { verb: 'update', method: 'PUT', path: `${DEPLOYMENTS}/seed`, body: deployment('seed', { replicas: 9 }) },
      { verb: 'patch', method: 'PATCH', path: `${DEPLOYMENTS}/seed`, body: { spec: { replicas: 9 } }, contentType: 'application/merge-patch+json' },
      { verb: 'patch', method: 'PATCH', path: `${DEPLOYMENTS}/seed?fieldManager=x`, body: deployment('seed', { replicas: 9 }), contentType: 'application/apply-patch+yaml' },
      { verb: 'delete', method: 'DELETE', path: `${DEPLOYMENTS}/seed` },
      { verb: 'create', method: 'POST', path: '/apis/policy.flotilla.io/v1alpha1/clusterpropagationpolicies', body: { apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'ClusterPropagationPolicy', metadata: { name: 'p' }, spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: {} } } }
    ]
    const before = h.site.writes
    for (const role of ['viewer', 'auditor'] as Role[]) {
      for (const via of ['certificate', 'token'] as const) {
        for (const w of writes) {
          const r = await h.request(w.method, w.path, { as: role, via, body: w.body, ...(w.contentType === undefined ? {} : { contentType: w.contentType }) })
          expect(r.status, `${role} ${w.method} ${w.path}`).toBe(403)
          const status = r.json()
          expect(status).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 })
          expect(status['message']).toContain(`User "${role}@eu-west" (role "${role}") cannot ${w.verb} resource`)
        }
      }
    }
    expect(h.site.writes).toBe(before)
  })

  it('lets admin write workloads and policies, but no role writes the read-only Cluster and Site kinds', async () => {
    expect((await h.request('POST', DEPLOYMENTS, { as: 'admin', via: 'token', body: deployment('by-token') })).status).toBe(201)
    for (const role of ROLES) {
      const r = await h.request('DELETE', '/apis/cluster.flotilla.io/v1alpha1/clusters/eu-west.c1', { as: role })
      expect(r.status).toBe(403)
      expect(r.json()['message']).toContain(`(role "${role}") cannot delete resource "clusters"`)
    }
    expect((await h.request('GET', '/apis/cluster.flotilla.io/v1alpha1/clusters/eu-west.c1', { as: 'viewer' })).status).toBe(200)
  })

  it('shows this site\'s local-only records to auditor and admin, never to viewer', async () => {
    const created = await h.request('POST', CONFIGMAPS, { as: 'admin', body: localOnlyConfigMap('customers') })
    expect(created.status, created.text).toBe(201)
    expect(h.site.view().workloads.some((w) => w.manifest.metadata.name === 'customers')).toBe(false)
    expect(h.site.view().stubs).toHaveLength(1)

    for (const role of ['auditor', 'admin'] as Role[]) {
      const one = await h.request('GET', `${CONFIGMAPS}/customers`, { as: role })
      expect(one.status, role).toBe(200)
      expect(one.json()).toMatchObject({ data: { secret: 'customer-records' }, status: { flotilla: { residency: 'local-only', origin: 'eu-west' } } })
      const list = await h.request('GET', CONFIGMAPS, { as: role })
      expect((list.json()['items'] as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['customers'])
    }

    const hidden = await h.request('GET', `${CONFIGMAPS}/customers`, { as: 'viewer' })
    expect(hidden.status).toBe(404)
    expect(hidden.text).not.toContain('customer-records')
    const list = await h.request('GET', '/api/v1/configmaps', { as: 'viewer' })
    expect(list.json()['items']).toEqual([])
    const table = await h.request('GET', '/api/v1/configmaps', { as: 'viewer', accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })
    expect(table.json()['rows']).toEqual([])
    const watch = await h.request('GET', '/api/v1/configmaps?watch=1&timeoutSeconds=1', { as: 'viewer' })
    expect(watch.text).toBe('')
    const auditorWatch = await h.request('GET', '/api/v1/configmaps?watch=1&timeoutSeconds=1', { as: 'auditor' })
    expect(auditorWatch.text).toContain('customer-records')
    const site = await h.request('GET', '/apis/cluster.flotilla.io/v1alpha1/sites/eu-west', { as: 'viewer' })
    expect(site.json()).toMatchObject({ status: { localOnlyStubs: 1 } })
  })
})
