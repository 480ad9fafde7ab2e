/**
 * `bin/flotilla.js` run directly by a real Node older than 22.18 (the machine's Node 20,
 * say) stops before any TypeScript module loads, with `error[node-too-old]`, a hint and
 * exit status 3. `errors.test.ts` fakes an old version on the project's Node; only a
 * real old Node shows that the shim itself still parses and runs there. Skipped, saying
 * why, when this machine has no such Node.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '../../bin/flotilla.js')

function versionOf (node: string): string | undefined {
  const r = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 })
  const v = r.stdout?.trim() ?? ''
  return r.status === 0 && /^\d+\.\d+\.\d+$/.test(v) ? v : undefined
}

function isOlderThan2218 (version: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number]
  return major < 22 || (major === 22 && minor < 18)
}

/** A Node binary on this machine older than 22.18, other than the one running the tests. */
function findOldNode (): { path: string, version: string } | undefined {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')).map((d) => join(d, 'node'))
  const self = realpathSync(process.execPath)
  for (const path of new Set(['/usr/bin/node', '/usr/local/bin/node', ...onPath])) {
    if (!existsSync(path) || realpathSync(path) === self) continue
    const version = versionOf(path)
    if (version !== undefined && isOlderThan2218(version)) return { path, version }
  }
  return undefined
}

const old = findOldNode()
const why = old === undefined ? 'skipped: no Node older than 22.18 at /usr/bin/node, /usr/local/bin/node or on PATH' : `Node ${old.version} at ${old.path}`

describe('the old-Node guard in bin/flotilla.js', () => {
  it.skipIf(old === undefined)(`stops a real old Node with error[node-too-old], a hint and exit status 3 (${why})`, () => {
    const r = spawnSync(old!.path, [BIN, 'status'], { encoding: 'utf8', timeout: 20_000 })
    expect(r.status).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`error[node-too-old]: Node ${old!.version} is too old; Flotilla needs Node >= 22.18`)
    expect(r.stderr).toMatch(/\n\s+hint: run it through npm/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
