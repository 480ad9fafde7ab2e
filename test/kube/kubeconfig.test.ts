/**
 * Loading member-cluster kubeconfigs: a path, YAML or a KubeConfig, a chosen context,
 * and config errors that name the file and say what to fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts'

const yaml = (server: string, skip: boolean): string => `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "${server}"${skip ? ', insecure-skip-tls-verify: true' : ''}}
- name: two
  cluster: {server: "https://10.0.0.2:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: first
  context: {cluster: one, user: u}
- name: second
  context: {cluster: two, user: u}
current-context: first
`

describe('kubeconfig loading', () => {
  it('loads a file and switches to the asked context', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config')
    writeFileSync(path, yaml('https://10.0.0.1:6443', false))
    expect(loadKubeConfig(path).getCurrentCluster()?.server).toBe('https://10.0.0.1:6443')
    expect(loadKubeConfig(path, 'second').getCurrentCluster()?.server).toBe('https://10.0.0.2:6443')
    expect(loadKubeConfig({ yaml: yaml('https://10.0.0.1:6443', false) }, 'second').getCurrentContext()).toBe('second')
  })

  it('names a missing file, an unknown context and a plain-http server without skip-tls-verify', () => {
    expect(() => loadKubeConfig('/nonexistent/kubeconfig')).toThrow(expect.objectContaining({ code: 'config-not-found' }))
    expect(() => loadKubeConfig({ yaml: yaml('https://x:1', false) }, 'third')).toThrow(expect.objectContaining({ code: 'config-invalid', message: expect.stringContaining('has no context "third" (it has: first, second)') }))
    expect(() => loadKubeConfig({ yaml: yaml('http://127.0.0.1:8080', false) })).toThrow(expect.objectContaining({ code: 'config-invalid', message: expect.stringContaining('plain http') }))
    expect(loadKubeConfig({ yaml: yaml('http://127.0.0.1:8080', true) }).getCurrentCluster()?.skipTLSVerify).toBe(true)
  })
})
