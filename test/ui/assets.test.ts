/**
 * The browser modules are plain JavaScript served as they are (no build step), so
 * nothing else checks them: they must type-check as strict JavaScript against the DOM
 * (each starts with `// @ts-check` and carries JSDoc types), or a typo would only show
 * in a browser.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const assets = join(root, 'src/ui/assets')

function jsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [])
}

describe('dashboard browser modules', () => {
  it('every module opts into type checking', () => {
    for (const f of jsFiles(assets)) expect(readFileSync(f, 'utf8').startsWith('// @ts-check\n'), f).toBe(true)
  })

  it('type-check as strict JavaScript against the DOM', async () => {
    const args = ['--ignoreConfig', '--noEmit', '--allowJs', '--checkJs', '--strict', '--noUncheckedIndexedAccess', '--target', 'es2023',
      '--lib', 'es2023,dom,dom.iterable', '--module', 'esnext', '--moduleResolution', 'bundler', '--types', 'node', ...jsFiles(assets)]
    const out = await new Promise<string>((resolve) => {
      execFile(join(root, 'node_modules/.bin/tsc'), args, { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => { resolve(err === null ? '' : `${stdout}${stderr}` || String(err)) })
    })
    expect(out).toBe('')
  })
})
