/**
 * The site's agent endpoint over real HTTP: an agent reads only its own cluster's
 * assignments, every request must be signed by a configured agent key, and a captured
 * request cannot be replayed, moved to another path or given another body.
 */
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSigner } from '../../src/identity/keys.ts'
import { signAgentRequest } from '../../src/kube/agent-auth.ts'
import { createAgentClient } from '../../src/kube/agent-client.ts'
import { assignmentsPath, statusPath, type AgentReport } from '../../src/kube/agent-protocol.ts'
import { deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'
import { startSite, testKeys, type Site } from './pull-support.ts'
import { systemClock } from './support.ts'

const keyA = testKeys(1)
const keyB = testKeys(2)
const stranger = testKeys(3)

function raw (url: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<{ status: number, body: { code?: string, message?: string } }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const req = request({ hostname: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) as { code?: string, message?: string } })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const emptyReport: AgentReport = { reachable: true, nodes: [], objects: [] }

describe('agent endpoint', () => {
  let site: Site
  beforeEach(async () => {
    site = await startSite({ a: keyA, b: keyB })
    for (const d of site.drivers.values()) await d.start()
    site.drivers.get('a')?.setDesired([desired(deploymentManifest('web-a'))])
    site.drivers.get('b')?.setDesired([desired(deploymentManifest('secret-b'))])
  })
  afterEach(async () => { await site.close() })

  const clientFor = (keys = keyA) => createAgentClient({ siteUrl: site.url, signer: createSigner(keys), clock: systemClock })

  it('serves an agent its own cluster\'s assignments and takes its reports', async () => {
    const res = await clientFor().send('GET', assignmentsPath('a'), undefined, 5_000)
    expect(res.status).toBe(200)
    const body = res.body as { cluster: string, revision: string, objects: Array<{ key: string }> }
    expect(body.cluster).toBe('a')
    expect(body.objects.map((o) => o.key)).toEqual(['apps/Deployment/default/web-a'])
    const report = await clientFor().send('POST', statusPath('a'), { ...emptyReport, revision: body.revision }, 5_000)
    expect(report.status).toBe(200)
    expect(report.body).toEqual({ revision: body.revision })
    expect(site.drivers.get('a')?.observe().reachable).toBe(true)
  })

  it('answers 403 when agent A asks for or reports about cluster B', async () => {
    const read = await clientFor(keyA).send('GET', assignmentsPath('b'), undefined, 5_000)
    expect(read.status).toBe(403)
    expect(read.body).toMatchObject({ code: 'forbidden' })
    expect(JSON.stringify(read.body)).not.toContain('secret-b')
    const write = await clientFor(keyA).send('POST', statusPath('b'), emptyReport, 5_000)
    expect(write.status).toBe(403)
    expect(site.drivers.get('b')?.observe().reachable).toBe(false)
    // The same question from B's own agent is answered.
    expect((await clientFor(keyB).send('GET', assignmentsPath('b'), undefined, 5_000)).status).toBe(200)
  })

  it('refuses a replayed request', async () => {
    const path = assignmentsPath('a')
    const auth = signAgentRequest(createSigner(keyA), { method: 'GET', path, body: new Uint8Array(0), timestampMs: Date.now(), nonce: 'ab'.repeat(16) })
    const first = await raw(site.url, 'GET', path, { Authorization: auth })
    expect(first.status).toBe(200)
    const replay = await raw(site.url, 'GET', path, { Authorization: auth })
    expect(replay.status).toBe(401)
    expect(replay.body.message).toMatch(/replayed/)
  })

  it('refuses unsigned requests, unknown keys, altered bodies, other paths and stale timestamps with 401', async () => {
    const path = statusPath('a')
    const body = new Uint8Array(Buffer.from(JSON.stringify(emptyReport)))
    const sign = (over: { keys?: typeof keyA, path?: string, body?: Uint8Array, ts?: number, nonce?: string }): string =>
      signAgentRequest(createSigner(over.keys ?? keyA), { method: 'POST', path: over.path ?? path, body: over.body ?? body, timestampMs: over.ts ?? Date.now(), nonce: over.nonce ?? randomBytes(16).toString('hex') })
    const post = (auth: string | undefined, sent = body) => raw(site.url, 'POST', path, { 'Content-Type': 'application/json', ...(auth === undefined ? {} : { Authorization: auth }) }, sent)

    expect((await post(undefined)).status).toBe(401)
    expect((await post('Bearer something')).status).toBe(401)
    expect((await post(sign({ keys: stranger }))).body.message).toMatch(/unknown agent key/)
    const altered = new Uint8Array(Buffer.from(JSON.stringify({ ...emptyReport, reachable: false })))
    const alteredRes = await post(sign({}), altered)
    expect(alteredRes.status).toBe(401)
    expect(alteredRes.body.message).toMatch(/signature/)
    expect((await post(sign({ path: statusPath('b') }))).status).toBe(401)
    const stale = await post(sign({ ts: Date.now() - 10 * 60_000 }))
    expect(stale.status).toBe(401)
    expect(stale.body.message).toMatch(/timestamp/)
    // None of them reached the driver.
    expect(site.drivers.get('a')?.observe().lastError).toMatch(/has not reported yet/)
    expect((await post(sign({}))).status).toBe(200)
  })

  it('refuses a malformed report with 400', async () => {
    const res = await clientFor().send('POST', statusPath('a'), { reachable: 'yes', nodes: [], objects: [] }, 5_000)
    expect(res.status).toBe(400)
    expect((res.body as { message: string }).message).toMatch(/reachable/)
  })

  it('takes node capacity when the agent sends it, and a report of an earlier agent without it', async () => {
    const r = (cpuMilli: number): { cpuMilli: number, memoryBytes: number, pods: number, gpu: number, vgpuCores: number, vgpuMemoryMiB: number } =>
      ({ cpuMilli, memoryBytes: 0, pods: 110, gpu: 0, vgpuCores: 0, vgpuMemoryMiB: 0 })
    const withCapacity = { reachable: true, objects: [], nodes: [{ name: 'n0', ready: true, capacity: r(8000), allocatable: r(7500), allocated: r(0) }] }
    expect((await clientFor().send('POST', statusPath('a'), withCapacity, 5_000)).status).toBe(200)
    expect(site.drivers.get('a')?.observe().nodes[0]?.capacity).toEqual(r(8000))
    const earlier = { reachable: true, objects: [], nodes: [{ name: 'n0', ready: true, allocatable: r(7500), allocated: r(0) }] }
    expect((await clientFor().send('POST', statusPath('a'), earlier, 5_000)).status).toBe(200)
    expect(site.drivers.get('a')?.observe().nodes[0]).toEqual({ name: 'n0', ready: true, allocatable: r(7500), allocated: r(0) })
  })

  it('holds a long poll until the assignments change', async () => {
    const first = await clientFor().send('GET', assignmentsPath('a'), undefined, 5_000)
    const revision = (first.body as { revision: string }).revision
    const started = Date.now()
    const polling = clientFor().send('GET', `${assignmentsPath('a')}?after=${revision}&waitMs=1500`, undefined, 5_000)
    setTimeout(() => site.drivers.get('a')?.setDesired([desired(deploymentManifest('web-a', { replicas: 3 }), 2)]), 100)
    const res = await polling
    const elapsed = Date.now() - started
    expect(res.status).toBe(200)
    expect((res.body as { revision: string }).revision).not.toBe(revision)
    expect(elapsed).toBeLessThan(1_400)
    // An unchanged set keeps its revision, so a poll waits out its time.
    site.drivers.get('a')?.setDesired([desired(deploymentManifest('web-a', { replicas: 3 }), 2)])
    const idle = await clientFor().send('GET', `${assignmentsPath('a')}?after=${(res.body as { revision: string }).revision}&waitMs=300`, undefined, 5_000)
    expect((idle.body as { revision: string }).revision).toBe((res.body as { revision: string }).revision)
  })

  it('answers 503 assignments-pending, never an empty set, until the site declares one; a waiting poll gets the first set', async () => {
    const fresh = await startSite({ a: keyA })
    try {
      const driver = fresh.drivers.get('a')!
      await driver.start()
      const client = createAgentClient({ siteUrl: fresh.url, signer: createSigner(keyA), clock: systemClock })
      const early = await client.send('GET', assignmentsPath('a'), undefined, 5_000)
      expect(early.status).toBe(503)
      expect(early.body).toMatchObject({ code: 'assignments-pending' })
      expect((early.body as { message: string }).message).toMatch(/has not decided yet what cluster a runs/)
      // A poll for a revision from before the site's restart waits for the declaration, even an empty one.
      const polling = client.send('GET', `${assignmentsPath('a')}?after=old-revision&waitMs=1500`, undefined, 5_000)
      setTimeout(() => driver.setDesired([]), 100)
      const res = await polling
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ cluster: 'a', objects: [] })
    } finally {
      await fresh.close()
    }
  })

  it('leaves other paths to the next handler', async () => {
    const res = await raw(site.url, 'GET', '/apis/apps/v1/deployments', {})
    expect(res.status).toBe(404)
    expect(res.body).toEqual({})
  })
})
