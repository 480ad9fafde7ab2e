/**
 * Where the tests find `kubectl`: the first executable on PATH, as a user's shell would,
 * else Debian's `/usr/bin/kubectl` (where `.ci/run` installs it). Tests that need it skip
 * when `hasKubectl` is false, so one place decides for all of them.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'

export const FALLBACK_KUBECTL = '/usr/bin/kubectl'

function isExecutableFile (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The first `kubectl` on `searchPath` that is an executable file; relative entries are ignored. */
export function findOnPath (name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue
    const candidate = join(dir, name)
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

export function kubectlPath (searchPath: string | undefined = process.env.PATH): string {
  return findOnPath('kubectl', searchPath) ?? FALLBACK_KUBECTL
}

export const KUBECTL = kubectlPath()
export const hasKubectl = isExecutableFile(KUBECTL)
