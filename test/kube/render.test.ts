/**
 * What the driver sends for a desired object and how it recognises its own: server-owned
 * metadata and status stripped, ownership marks added, a hash that ignores key order and
 * changes with content or generation, and ownership that needs both marks on the very
 * object the annotation names.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../src/k8s/json.ts'
import { APPLIED_HASH_ANNOTATION, isOwned, ownerKeyOf, renderDesired } from '../../src/kube/render.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { GENERATION_ANNOTATION, MANAGED_BY_LABEL, WORKLOAD_KEY_ANNOTATION } from '../../src/ports/cluster-driver.ts'
import { deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'

describe('rendering desired objects', () => {
  it('strips server-owned metadata and status and adds the ownership marks', () => {
    const o = deploymentManifest('web')
    o.metadata = { ...o.metadata, uid: 'u', resourceVersion: '5', generation: 3, creationTimestamp: 't', managedFields: [{}], selfLink: '/x', ownerReferences: [] }
    o.status = { readyReplicas: 1 }
    const r = renderDesired(desired(o, 4))
    expect(Object.keys(r.body.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace'])
    expect(r.body.status).toBeUndefined()
    expect(r.body.metadata.labels).toEqual({ app: 'web', [MANAGED_BY_LABEL]: 'flotilla' })
    expect(r.body.metadata.annotations).toEqual({ [WORKLOAD_KEY_ANNOTATION]: 'apps/Deployment/default/web', [GENERATION_ANNOTATION]: '4', [APPLIED_HASH_ANNOTATION]: r.hash })
    expect(o.metadata.uid).toBe('u') // the site's object is not mutated
  })

  it('drops a Service\'s cluster IPs (each cluster allocates its own) but keeps a headless one', () => {
    const svc = (clusterIP: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80 }] } })
    expect(renderDesired(desired(svc('10.96.0.7'))).body.spec).toEqual({ ports: [{ port: 80 }] })
    expect(renderDesired(desired(svc('None'))).body.spec?.['clusterIP']).toBe('None')
  })

  it('hashes equal content equally whatever the key order, and differently for other content or generation', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), (data) => {
      const reversed = Object.fromEntries(Object.entries(data).reverse())
      expect(canonicalJson(reversed)).toBe(canonicalJson(data))
    }))
    const base = renderDesired(desired(deploymentManifest('web'), 1))
    expect(renderDesired(desired(deploymentManifest('web'), 1)).hash).toBe(base.hash)
    expect(renderDesired(desired(deploymentManifest('web'), 2)).hash).not.toBe(base.hash)
    expect(renderDesired(desired(deploymentManifest('web', { replicas: 2 }), 1)).hash).not.toBe(base.hash)
  })

  it('owns an object only with both marks, and only the object the annotation names', () => {
    const r = renderDesired(desired(deploymentManifest('web')))
    expect(ownerKeyOf(r.body)).toBe('apps/Deployment/default/web')
    expect(isOwned(r.body, 'apps/Deployment/default/web')).toBe(true)
    const unlabelled = { ...r.body, metadata: { ...r.body.metadata, labels: { app: 'web' } } }
    expect(ownerKeyOf(unlabelled)).toBeUndefined()
    const copied = { ...r.body, metadata: { ...r.body.metadata, name: 'web-copy' } }
    expect(ownerKeyOf(copied)).toBeUndefined()
  })
})
