import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FALLBACK_KUBECTL, findOnPath, kubectlPath } from './kubectl-path.ts'

const root = mkdtempSync(join(tmpdir(), 'flotilla-kubectl-path-'))

function dirWith (name: string, file: { mode: number } | 'dir' | undefined): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  if (file === 'dir') mkdirSync(join(dir, 'kubectl'))
  else if (file !== undefined) {
    writeFileSync(join(dir, 'kubectl'), '#!/bin/sh\n')
    chmodSync(join(dir, 'kubectl'), file.mode)
  }
  return dir
}

describe('finding kubectl for the tests', () => {
  afterAll(() => { rmSync(root, { recursive: true, force: true }) })

  it('takes the first executable kubectl on PATH, as a shell would', () => {
    const first = dirWith('first', { mode: 0o755 })
    const second = dirWith('second', { mode: 0o755 })
    expect(kubectlPath([dirWith('none', undefined), first, second].join(delimiter))).toBe(join(first, 'kubectl'))
  })

  it('passes over a kubectl that is not executable or is a directory', () => {
    const plain = dirWith('plain', { mode: 0o644 })
    const folder = dirWith('folder', 'dir')
    const good = dirWith('good', { mode: 0o700 })
    expect(findOnPath('kubectl', [plain, folder, good].join(delimiter))).toBe(join(good, 'kubectl'))
  })

  it('ignores relative PATH entries, which depend on the working directory', () => {
    dirWith('relative', { mode: 0o755 })
    expect(findOnPath('kubectl', ['relative', '.', ''].join(delimiter))).toBeUndefined()
  })

  it('falls back to /usr/bin/kubectl when PATH has none', () => {
    expect(kubectlPath(dirWith('empty', undefined))).toBe(FALLBACK_KUBECTL)
    expect(kubectlPath(undefined)).toBe(FALLBACK_KUBECTL)
  })
})
