/**
 * Runs the real kubectl against a test site with a role's generated kubeconfig, with a
 * private HOME and cache directory and a hard timeout, so runs never touch the user's
 * configuration and never hang.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { KUBECTL } from '../../support/kubectl-path.ts'

export { hasKubectl, KUBECTL } from '../../support/kubectl-path.ts'

export interface Run { code: number, stdout: string, stderr: string }

export function kubectlRunner (dir: string, kubeconfig: string): { run: (...args: string[]) => Promise<Run>, spawn: (...args: string[]) => ChildProcess } {
  const base = (): string[] => ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache')]
  const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig }
  return {
    run: (...args) => new Promise((resolve) => {
      execFile(KUBECTL, [...base(), '--request-timeout', '10s', ...args], { env, timeout: 20_000, cwd: dir }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
        resolve({ code, stdout, stderr })
      })
    }),
    spawn: (...args) => spawn(KUBECTL, [...base(), ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  }
}

/** Polls until `check` holds, at most `ms`. */
export async function until (what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
