/**
 * The one table from error codes to Kubernetes Status: field errors become 422 causes,
 * an object of another site a 403 naming it, unknown failures a 500, and Statuses
 * raised by the shared Kubernetes semantics pass through unchanged.
 */
import { describe, expect, it } from 'vitest'
import type { ERROR_STATUS} from '../../src/api/status-table.ts';
import { statusOf } from '../../src/api/status-table.ts'
import { staleConflict } from '../../src/k8s/index.ts'
import { FlotillaError } from '../../src/model/errors.ts'

const ctx = { plural: 'deployments', group: 'apps', kind: 'Deployment', name: 'web' }

describe('API status table', () => {
  it('maps each error family to its HTTP code and reason', () => {
    const cases: Array<[keyof typeof ERROR_STATUS, number, string]> = [
      ['input-invalid', 422, 'Invalid'], ['unsatisfiable-policy', 422, 'Invalid'], ['not-found', 404, 'NotFound'],
      ['already-exists', 409, 'AlreadyExists'], ['conflict', 409, 'Conflict'], ['origin-mismatch', 403, 'Forbidden'],
      ['unauthenticated', 401, 'Unauthorized'], ['forbidden', 403, 'Forbidden'], ['rate-limited', 429, 'TooManyRequests'],
      ['store-closed', 503, 'ServiceUnavailable']
    ]
    for (const [code, http, reason] of cases) {
      expect(statusOf(new FlotillaError(code, 'm', 'h'), ctx), code).toMatchObject({ kind: 'Status', status: 'Failure', code: http, reason })
    }
    expect(statusOf(new FlotillaError('storage-failed', 'disk gone', 'h'))).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: disk gone' })
    expect(statusOf(new Error('boom'))).toMatchObject({ code: 500, reason: 'InternalError' })
  })

  it('lists each bad field of an invalid object in details.causes', () => {
    const e = new FlotillaError('input-invalid', 'bad', 'fix it', { details: { causes: [{ path: 'spec.replicas', message: 'must be >= 0' }, { path: 'metadata.name', message: 'required' }] } })
    expect(statusOf(e, ctx)).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 422, reason: 'Invalid',
      message: 'Deployment.apps "web" is invalid: [spec.replicas: must be >= 0, metadata.name: required]',
      details: { name: 'web', group: 'apps', kind: 'Deployment', causes: [
        { reason: 'FieldValueInvalid', message: 'must be >= 0', field: 'spec.replicas' }, { reason: 'FieldValueInvalid', message: 'required', field: 'metadata.name' }
      ] }
    })
  })

  it('names the owning site when a write reaches another site\'s object', () => {
    const e = new FlotillaError('origin-mismatch', 'owned elsewhere', 'Apply it at site "ap-east".', { details: { origin: 'ap-east' } })
    const s = statusOf(e, ctx)
    expect(s).toMatchObject({ code: 403, reason: 'Forbidden', details: { causes: [{ reason: 'OriginMismatch', field: 'metadata.annotations[flotilla.io/origin]' }] } })
    expect(s.message).toBe('deployments.apps "web" is forbidden: it was created at site "ap-east" and only that site may change it. Apply it at site "ap-east".')
  })

  it('passes Statuses raised by the Kubernetes semantics through unchanged', () => {
    const e = staleConflict({ kind: 'deployments', group: 'apps' }, 'web')
    expect(statusOf(e, ctx)).toBe(e.status)
  })
})
