/**
 * `flotilla compliance` and the Flotilla routes' access rules, against a real site API:
 * the auditor gets the local-only records and a scan of every replicated document the
 * site holds — clean, weak marks to review, or a leak found in a document's history —
 * with the exit status saying the verdict; every other role is refused (403, exit 6);
 * the routes need credentials (401) and answer only GET.
 */
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { loadSiteConnection } from '../../src/cli/client/kubeconfig.ts'
import { createSiteClient } from '../../src/cli/client/site-client.ts'
import { deployment } from '../api/support/manifests.ts'
import { runCli, startCliSite, type CliSite } from './support/cli-site.ts'

const SECRET_IMAGE = 'registry.internal.example/ledger-eu:2024.11'

/** A saved document; strings are ImmutableStrings, as the site documents store them (src/store/docs/fields.ts). */
function saved (fill: (d: Record<string, unknown>) => void, then?: (d: Record<string, unknown>) => void): Uint8Array {
  let doc = A.change(A.init<Record<string, unknown>>(), fill)
  if (then !== undefined) doc = A.change(doc, then)
  return A.save(doc)
}

describe('flotilla compliance', () => {
  let s: CliSite
  let auditor: string
  let ledgerKey: string
  const cleanDocs = (): Array<{ id: string, bytes: Uint8Array }> => [
    { id: 'federation', bytes: saved((d) => { d['members'] = { 'eu-west': { region: 'eu-west' } } }) },
    { id: 'site:eu-west', bytes: saved((d) => { d['workloads'] = { 'apps/Deployment/default/web': { image: new A.ImmutableString('nginx:1.27') } }; d['stubs'] = { '3f9a1c': { kind: 'Deployment', replicas: 2 } } }) }
  ]

  beforeAll(async () => {
    s = await startCliSite()
    auditor = s.kubeconfig('auditor')
    const put = await s.site.putObject(deployment('ledger', { image: SECRET_IMAGE, annotations: { 'flotilla.io/residency': 'local-only' } }))
    ledgerKey = `apps/Deployment/default/${put.object.metadata.name}`
    await s.site.putObject(deployment('web'))
  })

  afterAll(async () => { await s.close() })

  it('reports the local-only records, the stubs and a clean scan of every replicated document (exit 0)', async () => {
    s.documents = cleanDocs()
    const r = await runCli(['compliance', '--kubeconfig', auditor])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Compliance report of site eu-west at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/)
    expect(r.stdout).toMatch(/^local-only records: 1\n {2}KIND\s+NAMESPACE\s+NAME\s+GENERATION\s+UPDATED\n {2}Deployment\s+default\s+ledger\s+1\s+\d{4}-/m)
    expect(r.stdout).toMatch(/^redacted stubs in this site's replicated document: 1$/m)
    expect(r.stdout).toMatch(/^scan: 2 replicated document\(s\), [\d.]+ (B|KiB), \d+ change\(s\) decoded, \d+ mark\(s\) searched$/m)
    expect(r.stdout).toMatch(/^ {2}site:eu-west\s+[\d.]+ (B|KiB)\s+1\s+0$/m)
    expect(r.stdout).toMatch(/^verdict: CLEAN: no local-only record appears in any replicated document this site holds\.$/m)
  })

  it('finds a local-only key that a document held and later deleted (strong: exit 9), with where it was', async () => {
    s.documents = [...cleanDocs(), {
      id: 'site:eu-west-old',
      bytes: saved((d) => { d['workloads'] = { [ledgerKey]: { note: new A.ImmutableString('oops') } } }, (d) => { delete (d['workloads'] as Record<string, unknown>)[ledgerKey] })
    }]
    const r = await runCli(['compliance', '--kubeconfig', auditor])
    expect(r.code).toBe(9)
    expect(r.stdout).toMatch(/^findings:\n {2}STRENGTH\s+DOCUMENT\s+RECORD\s+MARK\s+TEXT\s+WHERE\n/m)
    expect(r.stdout).toMatch(new RegExp(`^ {2}strong\\s+site:eu-west-old\\s+${ledgerKey.replace(/\//g, '\\/')}\\s+key\\s+${ledgerKey.replace(/\//g, '\\/')}\\s+change [0-9a-f]+ op \\d+ key$`, 'm'))
    expect(r.stdout).toMatch(/^verdict: LEAK: /m)
    expect(r.stderr).toMatch(/^error\[residency-violation\]: strong marks of 1 local-only record\(s\) found in replicated documents of site eu-west \(\d+ finding\(s\)\)\n {2}hint: Treat it as a data-compliance incident/)
  })

  it('leaves weak marks (a shared name or string) for the officer to review (exit 0), and -o json carries the whole report', async () => {
    s.documents = [...cleanDocs(), { id: 'site:ap-east', bytes: saved((d) => { d['images'] = { mirror: new A.ImmutableString(SECRET_IMAGE) } }) }]
    const r = await runCli(['compliance', '--kubeconfig', auditor, '-o', 'json'])
    expect(r.code).toBe(0)
    const doc = r.json<{ kind: string, verdict: string, localOnly: Array<{ key: string }>, scan: { available: boolean, strongFindings: number, findings: Array<{ source: string, strong: boolean, needle: { kind: string, text: string } }>, documents: Array<{ id: string }> } }>()
    expect(doc.kind).toBe('ComplianceReport')
    expect(doc.verdict).toBe('review')
    expect(doc.localOnly.map((l) => l.key)).toEqual([ledgerKey])
    expect(doc.scan.documents.map((d) => d.id)).toEqual(['federation', 'site:ap-east', 'site:eu-west'])
    expect(doc.scan.strongFindings).toBe(0)
    expect(doc.scan.findings.map((f) => [f.source, f.strong, f.needle.kind, f.needle.text])).toContainEqual(['site:ap-east', false, 'content', SECRET_IMAGE])
    const table = await runCli(['compliance', '--kubeconfig', auditor])
    expect(table.stdout).toMatch(/^verdict: REVIEW: /m)
  })

  it('is for the auditor only: admin and viewer are refused (403, exit 6); --site picks the auditor kubeconfig', async () => {
    s.documents = cleanDocs()
    for (const role of ['admin', 'viewer'] as const) {
      const r = await runCli(['compliance', '--kubeconfig', s.kubeconfig(role)])
      expect(r.code).toBe(6)
      expect(r.stderr).toMatch(new RegExp(`^error\\[forbidden\\]: the compliance report is forbidden: User "${role}@eu-west" \\(role "${role}"\\) cannot get the compliance report of site "eu-west": only the auditor role may\\n {2}hint: `))
    }
    const before = process.env['FLOTILLA_HOME']
    process.env['FLOTILLA_HOME'] = s.home
    try {
      const r = await runCli(['compliance', '--site', 'eu-west'])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/verdict: CLEAN/)
    } finally {
      if (before === undefined) delete process.env['FLOTILLA_HOME']
      else process.env['FLOTILLA_HOME'] = before
    }
  })

  it('fails (exit 1) and says so when the site cannot scan its documents', async () => {
    s.documents = undefined
    const r = await runCli(['compliance', '--kubeconfig', auditor])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^scan: unavailable \(this site does not expose its replicated documents for scanning\)$/m)
    expect(r.stderr).toMatch(/^error\[internal\]: site eu-west could not scan its replicated documents/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('serves the Flotilla routes only to authenticated GETs, with a 404 naming the routes it has', async () => {
    const conn = await loadSiteConnection(s.kubeconfig('viewer'))
    const client = createSiteClient(conn, { timeoutMs: 5000 })
    const anonymous = createSiteClient({ ...conn, cert: undefined as unknown as string, key: undefined as unknown as string, token: undefined as unknown as string }, { timeoutMs: 5000 })
    try {
      const index = await client.get<{ kind: string, routes: string[] }>('/apis/flotilla.io/v1')
      expect(index.kind).toBe('RouteList')
      expect(index.routes).toContain('/apis/flotilla.io/v1/compliance')
      await expect(client.request('POST', '/apis/flotilla.io/v1/status', { body: {} })).rejects.toSatisfy((e) => isFlotillaError(e, 'input-invalid') && /read-only: only GET/.test(e.message))
      await expect(client.get('/apis/flotilla.io/v1/nothing')).rejects.toSatisfy((e) => isFlotillaError(e, 'not-found') && /served: status, events, evidence, bindings/.test(e.message))
      await expect(client.get('/apis/flotilla.io/v1/events', { limit: 'many' })).rejects.toSatisfy((e) => isFlotillaError(e, 'input-invalid') && /'limit' must be a non-negative integer/.test(e.message))
      await expect(anonymous.get('/apis/flotilla.io/v1/status')).rejects.toSatisfy((e) => isFlotillaError(e, 'unauthenticated'))
    } finally {
      client.close()
      anonymous.close()
    }
  })
})
