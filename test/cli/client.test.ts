/**
 * The CLI's pieces that need no site: kubeconfig resolution (inline data, files relative
 * to the kubeconfig, tokens, contexts), manifest reading (multi-document YAML, JSON,
 * Lists, errors with line numbers), durations and ages, tables, the progress bar, the
 * per-object batch runner, the mapping of Statuses to exit codes, and a site that is not
 * there (refused connection: site-unreachable, exit 7).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runBatch } from '../../src/cli/client/batch.ts'
import { createCatalog, objectPath, typeLabel, type ResourceType } from '../../src/cli/client/discovery.ts'
import { loadSiteConnection } from '../../src/cli/client/kubeconfig.ts'
import { parseManifests } from '../../src/cli/client/manifests.ts'
import { errorFromStatus } from '../../src/cli/client/status-errors.ts'
import { humanAge, parseDuration } from '../../src/cli/format/durations.ts'
import { progressBar } from '../../src/cli/format/progress.ts'
import { bytesText, cpuText, memoryText } from '../../src/cli/format/quantities.ts'
import { renderTable } from '../../src/cli/format/table.ts'
import { errorExitCode } from '../../src/model/errors.ts'
import { runCli } from './support/cli-site.ts'

const tmp = (): string => mkdtempSync(join(tmpdir(), 'flotilla-cli-unit-'))
const b64 = (s: string): string => Buffer.from(s).toString('base64')

describe('kubeconfig resolution', () => {
  it('reads inline data, picks the current context, and prefers a client certificate over a token', async () => {
    const dir = tmp()
    const path = join(dir, 'k.yaml')
    writeFileSync(path, `apiVersion: v1
clusters: [{name: s, cluster: {server: "https://127.0.0.1:6443/", certificate-authority-data: ${b64('CA')}, tls-server-name: site.test}}]
users:
- {name: cert, user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}}
- {name: tok, user: {tokenFile: secrets/token}}
contexts:
- {name: a, context: {cluster: s, user: cert, namespace: shop}}
- {name: b, context: {cluster: s, user: tok}}
current-context: a
`)
    const a = await loadSiteConnection(path)
    expect(a).toMatchObject({ context: 'a', server: 'https://127.0.0.1:6443', ca: 'CA', cert: 'CERT', key: 'KEY', namespace: 'shop', serverName: 'site.test', insecure: false })
    await expect(loadSiteConnection(path, 'b')).rejects.toMatchObject({ code: 'config-not-found', message: expect.stringContaining(join(dir, 'secrets', 'token')) as unknown as string })
    mkdirSync(join(dir, 'secrets'))
    writeFileSync(join(dir, 'secrets', 'token'), 'tok-123\n')
    const b = await loadSiteConnection(path, 'b')
    expect(b).toMatchObject({ token: 'tok-123', namespace: 'default' })
    expect(b.cert).toBeUndefined()
  })

  it('refuses what it cannot use, naming the file', async () => {
    const dir = tmp()
    const write = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p }
    await expect(loadSiteConnection(write('a.yaml', 'clusters: [\n'))).rejects.toMatchObject({ code: 'config-invalid', message: expect.stringMatching(/a\.yaml: not valid YAML/) as unknown as string })
    await expect(loadSiteConnection(write('b.yaml', 'contexts: []\n'))).rejects.toMatchObject({ code: 'config-invalid', message: expect.stringMatching(/no current-context/) as unknown as string })
    await expect(loadSiteConnection(write('c.yaml', 'contexts: [{name: x, context: {cluster: nope, user: u}}]\ncurrent-context: x\n'))).rejects.toMatchObject({ message: expect.stringMatching(/names cluster "nope", which is not defined/) as unknown as string })
    await expect(loadSiteConnection(write('d.yaml', 'clusters: [{name: s, cluster: {server: "ftp://x"}}]\ncontexts: [{name: x, context: {cluster: s, user: u}}]\ncurrent-context: x\n'))).rejects.toMatchObject({ message: expect.stringMatching(/has no https:\/\/ server URL/) as unknown as string })
    await expect(loadSiteConnection(write('e.yaml', `clusters: [{name: s, cluster: {server: "https://x"}}]\nusers: [{name: u, user: {client-certificate-data: ${b64('C')}}}]\ncontexts: [{name: x, context: {cluster: s, user: u}}]\ncurrent-context: x\n`))).rejects.toMatchObject({ message: expect.stringMatching(/client certificate without its key/) as unknown as string })
  })
})

describe('manifests', () => {
  it('reads multi-document YAML, skips empty documents, expands Lists and keeps each object\'s source', () => {
    const objs = parseManifests(`---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
# only a comment
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: c, namespace: shop}}
`, 'f.yaml')
    expect(objs.map((o) => [o.source, o.object.kind, o.object.metadata.name])).toEqual([
      ['f.yaml#1', 'ConfigMap', 'a'], ['f.yaml#3.1', 'ConfigMap', 'b'], ['f.yaml#3.2', 'Deployment', 'c']
    ])
    expect(parseManifests('{"apiVersion":"v1","kind":"Service","metadata":{"name":"j"}}', 'x.json').map((o) => o.object.metadata.name)).toEqual(['j'])
  })

  it('refuses bad YAML with its line, and objects without apiVersion, kind or name', () => {
    expect(() => parseManifests('a: 1\nb: [\n', 'bad.yaml')).toThrow(/^bad\.yaml:\d+: not valid YAML or JSON/)
    expect(() => parseManifests('kind: ConfigMap\nmetadata: {}\n', 'm.yaml')).toThrow('m.yaml#1: missing apiVersion, metadata.name')
    expect(() => parseManifests('- 1\n- 2\n', 'l.yaml')).toThrow('l.yaml#1: not an object')
  })
})

describe('formatting', () => {
  it('parses durations with units or bare seconds, and refuses anything else', () => {
    expect([parseDuration('t', '500ms'), parseDuration('t', '30s'), parseDuration('t', '1h30m'), parseDuration('t', '2'), parseDuration('t', '1.5s')]).toEqual([500, 30_000, 5_400_000, 2000, 1500])
    for (const bad of ['', 'soon', '10 s', '5x', 's10', '-3s']) expect(() => parseDuration('timeout', bad)).toThrow(/'--timeout' must be a duration/)
  })

  it('words ages like kubectl', () => {
    expect([0, 45_000, 192_000, 3_600_000 * 5 + 60_000 * 7, 86_400_000 * 3 + 3_600_000 * 2, 86_400_000 * 30].map(humanAge)).toEqual(['0s', '45s', '3m12s', '5h7m', '3d2h', '30d'])
  })

  it('renders aligned tables with upper-case headers and <none> for empty cells', () => {
    expect(renderTable(['name', 'ready'], [['web', '3/3'], ['catalog-long', undefined]])).toBe('NAME           READY\nweb            3/3\ncatalog-long   <none>\n')
  })

  it('draws the progress bar from 0 to 100%', () => {
    expect(progressBar(0, 4)).toBe(`[${'-'.repeat(28)}]   0% 0/4`)
    expect(progressBar(1, 4, 'x')).toBe(`[${'#'.repeat(7)}${'-'.repeat(21)}]  25% 1/4 x`)
    expect(progressBar(0, 0)).toBe(`[${'#'.repeat(28)}] 100% 0/0`)
  })

  it('prints quantities for people', () => {
    expect([bytesText(512), bytesText(1536), bytesText(5 * 2 ** 30)]).toEqual(['512 B', '1.5 KiB', '5.0 GiB'])
    expect([cpuText(2000), cpuText(1500), memoryText(2 ** 30 * 60), memoryText(1536 * 2 ** 20)]).toEqual(['2', '1500m', '60Gi', '1.5Gi'])
  })
})

describe('discovery names', () => {
  const types: ResourceType[] = [
    { group: 'apps', version: 'v1', apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', shortNames: ['deploy'], namespaced: true, verbs: ['delete', 'patch'] },
    { group: '', version: 'v1', apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', shortNames: ['ns'], namespaced: false, verbs: ['delete', 'patch'] }
  ]
  it('finds a type by plural, singular, short name, kind or with its group, and builds paths and labels', () => {
    const c = createCatalog(types)
    for (const name of ['deployments', 'deployment', 'deploy', 'Deployment', 'deployments.apps', 'deploy.apps']) expect(c.find(name)?.kind).toBe('Deployment')
    expect(c.find('deployments.batch')).toBeUndefined()
    const d = c.require('deploy')
    expect(objectPath(d, 'shop', 'web')).toBe('/apis/apps/v1/namespaces/shop/deployments/web')
    expect(objectPath(c.require('ns'), undefined, 'shop')).toBe('/api/v1/namespaces/shop')
    expect([typeLabel(d), typeLabel(c.require('ns'))]).toEqual(['deployment.apps', 'namespace'])
    expect(() => c.require('pods')).toThrow('the site serves no resource type "pods"')
  })
})

describe('batch runner', () => {
  it('runs at most N at a time, one object\'s requests in order, and reports in input order', async () => {
    let active = 0
    let peak = 0
    const log: string[] = []
    const items = ['a1', 'b1', 'a2', 'c1', 'd1', 'a3']
    const seen: string[] = []
    const outcomes = await runBatch(items, (i) => i[0] as string, 2, async (i) => {
      active++
      peak = Math.max(peak, active)
      log.push(`start ${i}`)
      await new Promise((resolve) => setTimeout(resolve, i === 'a1' ? 30 : 5))
      active--
      if (i === 'c1') throw new Error('boom')
      return i.toUpperCase()
    }, (item, outcome) => { seen.push(`${item}:${outcome.ok ? outcome.value : 'failed'}`) })
    expect(peak).toBe(2)
    expect(seen).toEqual(['a1:A1', 'b1:B1', 'a2:A2', 'c1:failed', 'd1:D1', 'a3:A3'])
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(1)
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('start a1'))
    expect(log.indexOf('start a3')).toBeGreaterThan(log.indexOf('start a2'))
  })
})

describe('errors from a site', () => {
  const subject = { kubeconfig: 'k.yaml', user: 'u', method: 'GET', path: '/x' }
  it('maps each Status to the code whose exit status docs/operations.md lists', () => {
    const cases: Array<[number, Record<string, unknown>, string, number]> = [
      [401, {}, 'unauthenticated', 6],
      [403, { message: 'no' }, 'forbidden', 6],
      [403, { details: { causes: [{ reason: 'OriginMismatch', message: 'owned by site "a"' }] } }, 'origin-mismatch', 5],
      [404, {}, 'not-found', 4],
      [409, { reason: 'AlreadyExists' }, 'already-exists', 5],
      [409, { reason: 'Conflict' }, 'conflict', 5],
      [422, { details: { causes: [{ field: 'spec', message: 'bad' }] } }, 'input-invalid', 2],
      [503, {}, 'site-unreachable', 7],
      [500, {}, 'internal', 1]
    ]
    for (const [http, body, code, exit] of cases) {
      const e = errorFromStatus(http, { kind: 'Status', ...body }, subject)
      expect([http, e.code, errorExitCode(e.code)]).toEqual([http, code, exit])
    }
  })

  it('says site-unreachable (exit 7) with a hint when nothing listens at the kubeconfig\'s server', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    const dir = tmp()
    const path = join(dir, 'down.yaml')
    writeFileSync(path, `clusters: [{name: s, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: s, user: u}}]\ncurrent-context: x\n`)
    const manifest = join(dir, 'cm.yaml')
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n')
    for (const cmd of [['peers'], ['status'], ['get', 'sites'], ['apply', '-f', manifest], ['delete', 'deploy', 'x'], ['explain', 'deploy/x'], ['events'], ['evidence'], ['compliance']]) {
      const r = await runCli([...cmd, '--kubeconfig', path])
      expect([cmd[0], r.code]).toEqual([cmd[0], 7])
      expect(r.stderr).toMatch(new RegExp(`^error\\[site-unreachable\\]: cannot reach the site at https://127\\.0\\.0\\.1:${port} \\(kubeconfig .*down\\.yaml, context x\\): ECONNREFUSED\\n {2}hint: Is the site running\\?`))
    }
  })

  it('says a server that is not a Flotilla site is not one, rather than failing on its answers', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url?.startsWith('/apis/flotilla.io/') === true) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"kind":"Status","code":404,"message":"the server could not find the requested resource"}'); return }
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end('<html>hello</html>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const path = join(tmp(), 'other.yaml')
      writeFileSync(path, `clusters: [{name: s, cluster: {server: "http://127.0.0.1:${(server.address() as { port: number }).port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: s, user: u}}]\ncurrent-context: x\n`)
      const status = await runCli(['status', '--kubeconfig', path])
      expect(status.code).toBe(1)
      expect(status.stderr).toMatch(/^error\[unsupported-version\]: the server at http:\/\/127\.0\.0\.1:\d+ does not serve \/apis\/flotilla\.io\/v1\/status \(HTTP 404\): it is not a Flotilla site/)
      const sites = await runCli(['get', 'sites', '--kubeconfig', path])
      expect(sites.code).toBe(1)
      expect(sites.stderr).toMatch(/^error\[unsupported-version\]: .* answered \/apis\/cluster\.flotilla\.io\/v1alpha1\/sites with something other than a list/)
      expect(sites.stderr).not.toMatch(/\n\s+at /)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
