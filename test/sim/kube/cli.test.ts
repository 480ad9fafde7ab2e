import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const bin = join(import.meta.dirname, '../../../bin/flotilla.js')

function flotilla (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr })
    })
  })
}

describe('flotilla kube-emulator command line', () => {
  it('documents its knobs in --help', async () => {
    const r = await flotilla('kube-emulator', '--help')
    expect(r.code).toBe(0)
    for (const flag of ['--port', '--nodes', '--gpu-nodes', '--ready-delay-ms', '--eviction-delay-ms', '--kubeconfig', '--admin-port', '--tls']) {
      expect(r.stdout).toContain(flag)
    }
  })

  it('refuses inconsistent or malformed numbers with input-invalid and a hint, never a stack', async () => {
    const tooManyGpus = await flotilla('kube-emulator', '--nodes', '2', '--gpu-nodes', '3')
    expect(tooManyGpus.code).toBe(2)
    expect(tooManyGpus.stderr).toMatch(/^error\[input-invalid\]: '--gpu-nodes' \(3\) cannot exceed '--nodes' \(2\)\n {2}hint: /)
    const notANumber = await flotilla('kube-emulator', '--nodes', 'many')
    expect(notANumber.code).toBe(2)
    expect(notANumber.stderr).toMatch(/'--nodes' must be an integer >= 0: received "many"/)
    expect(notANumber.stderr).not.toMatch(/\n\s+at /)
  })

  it('names a port already in use', async () => {
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as AddressInfo).port
    try {
      const r = await flotilla('kube-emulator', '--port', String(port), '--kubeconfig', '/tmp/unused-kubeconfig')
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`^error\\[port-in-use\\]: port ${port} on 127\\.0\\.0\\.1 \\(kube emulator "emulated" Kubernetes API\\) is not available: EADDRINUSE\\n {2}hint: .*another --port`))
    } finally {
      busy.close()
    }
  })
})
