/**
 * How client-node failures become KubeCallErrors: a Status answer is a per-object
 * failure carrying code, reason and the kind it names; no answer is a transport failure;
 * a watch ended by client-node's 30 s idle limit is a quiet cluster, not a lost one.
 */
import { ApiException } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { isIdleTimeout, toKubeCallError } from '../../src/kube/client-node-client.ts'
import { isClusterFailure } from '../../src/kube/kube-client.ts'

describe('client-node failures', () => {
  it('reads the Status of an answered call', () => {
    const body = JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'namespaces "team-a" not found', details: { name: 'team-a', kind: 'namespaces' } })
    const e = toKubeCallError(new ApiException(404, 'Unsuccessful HTTP Request', body, {}), 'apply Deployment team-a/web')
    expect(e).toMatchObject({ transport: false, status: 404, reason: 'NotFound', detailsKind: 'namespaces', code: 'apply-failed' })
    expect(e.message).toBe('apply Deployment team-a/web: namespaces "team-a" not found')
    expect(isClusterFailure(e)).toBe(false)
    expect(isClusterFailure(toKubeCallError(new ApiException(503, 'x', '{}', {}), 'list'))).toBe(true)
  })

  it('treats a call with no answer as a transport failure', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })
    const e = toKubeCallError(refused, 'list pods')
    expect(e).toMatchObject({ transport: true, status: undefined, code: 'cluster-unreachable', message: 'list pods: ECONNREFUSED' })
    expect(isClusterFailure(e)).toBe(true)
  })

  it('recognises client-node\'s idle watch timeout', () => {
    expect(isIdleTimeout(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(true)
    expect(isIdleTimeout(new Error('socket hang up'))).toBe(false)
  })
})
