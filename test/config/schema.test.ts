import { describe, expect, it } from 'vitest'
import { parseSiteConfig } from '../../src/config/load.ts'
import { isFlotillaError } from '../../src/model/errors.ts'

const key = 'a'.repeat(64)
const valid = {
  site: { id: 'eu-west', region: 'eu-west', zone: 'eu-west-a' },
  dataDir: '.flotilla/eu-west',
  p2p: { listen: ['/ip4/127.0.0.1/tcp/7001'] },
  roster: [{ siteId: 'eu-west', publicKey: key, region: 'eu-west' }]
}

function issuesFor (raw: unknown): Array<{ path: string, message: string }> {
  try {
    parseSiteConfig(raw, 'test.yaml')
  } catch (e) {
    if (isFlotillaError(e, 'config-invalid')) return e.details?.['issues'] as Array<{ path: string, message: string }>
    throw e
  }
  throw new Error('config was accepted')
}

describe('site config', () => {
  it('accepts a minimal config and fills the documented defaults', () => {
    const c = parseSiteConfig(valid, 'test.yaml')
    expect(c.failover).toMatchObject({ heartbeatMs: 2000, suspectMs: 6000, failMs: 12000, maxClockSkewMs: 300_000 })
    // Unset, the recovery window follows the heartbeat (src/liveness/failure-detector.ts, defaultRecoverMs).
    expect(c.failover.recoverMs).toBeUndefined()
    expect(c.limits.maxFrameBytes).toBe(4 * 1024 * 1024)
    expect(c.clusters).toEqual([])
  })

  it('reports every wrong field with its path and what was expected', () => {
    const issues = issuesFor({
      ...valid,
      site: { id: 'Not_A_Label', region: 'eu-west' },
      p2p: { listen: ['tcp://x'] },
      clusters: [{ name: 'c1', mode: 'push' }],
      failover: { heartbeatMs: 'fast' }
    })
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]))
    expect(byPath['site.id']).toMatch(/DNS-1123 label/)
    expect(byPath['site.zone']).toMatch(/required/)
    expect(byPath['p2p.listen[0]']).toMatch(/multiaddr/)
    expect(byPath['clusters[0].kubeconfig']).toMatch(/required when mode is "push"/)
    expect(byPath['failover.heartbeatMs']).toMatch(/expected number/)
  })

  it('takes a recovery window and a clock-skew limit, and refuses a recovery window shorter than one heartbeat', () => {
    const c = parseSiteConfig({ ...valid, failover: { recoverMs: 10_000, maxClockSkewMs: 60_000 } }, 'test.yaml')
    expect(c.failover).toMatchObject({ recoverMs: 10_000, maxClockSkewMs: 60_000 })
    expect(issuesFor({ ...valid, failover: { maxClockSkewMs: 0 } })).toContainEqual({ path: 'failover.maxClockSkewMs', message: expect.stringMatching(/>0|too small/i) as unknown as string })
    expect(issuesFor({ ...valid, failover: { heartbeatMs: 2000, recoverMs: 500 } })).toEqual([
      { path: 'failover.recoverMs', message: 'must be at least failover.heartbeatMs (2000) so one stray heartbeat cannot bring a failed site back' }
    ])
  })

  it('rejects unknown fields instead of ignoring a typo', () => {
    const issues = issuesFor({ ...valid, bootstrapPeers: [] })
    expect(issues[0]?.message).toMatch(/bootstrapPeers/)
  })

  it('requires the site itself in the roster', () => {
    const issues = issuesFor({ ...valid, roster: [{ siteId: 'other', publicKey: key, region: 'eu-west' }] })
    expect(issues).toContainEqual({ path: 'roster', message: expect.stringMatching(/must include this site/) as unknown as string })
  })

  it('rejects roster keys no signature could ever verify under: small-order points and non-canonical encodings', () => {
    const identity = '01' + '00'.repeat(31)
    const nonCanonical = 'ee' + 'ff'.repeat(30) + '7f'
    const issues = issuesFor({ ...valid, roster: [...valid.roster, { siteId: 'weak', publicKey: identity, region: 'eu-west' }, { siteId: 'odd', publicKey: nonCanonical, region: 'eu-west' }] })
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]))
    expect(byPath['roster[1].publicKey']).toMatch(/small order.*flotilla init/)
    expect(byPath['roster[2].publicKey']).toMatch(/non-canonical.*flotilla init/)
  })

  it('rejects a pull-mode cluster without the site API its agent connects to, naming the field and the fix', () => {
    const clusters = [{ name: 'core-1', kubeconfig: './core-1.kubeconfig' }, { name: 'edge-1', mode: 'pull', agentKey: key }]
    const issues = issuesFor({ ...valid, clusters })
    expect(issues).toEqual([{ path: 'clusters[1].mode', message: expect.stringMatching(/^pull mode needs the site API \(the agent connects to it\): add an `api` section/) as unknown as string }])
    expect(() => parseSiteConfig({ ...valid, clusters }, 'site.yaml')).toThrow(/\n {2}- clusters\[1\]\.mode: pull mode needs the site API/)
    // With the API the same clusters are fine; push mode alone never needed it.
    expect(parseSiteConfig({ ...valid, clusters, api: { listen: '127.0.0.1:6443' } }, 'site.yaml').clusters.map((c) => c.mode)).toEqual(['push', 'pull'])
    expect(parseSiteConfig({ ...valid, clusters: [clusters[0]] }, 'site.yaml').clusters).toHaveLength(1)
  })

  it('rejects failover timings where suspicion would come after failure', () => {
    const issues = issuesFor({ ...valid, failover: { suspectMs: 20_000, failMs: 10_000 } })
    expect(issues.map((i) => i.path)).toContain('failover.suspectMs')
  })
})
