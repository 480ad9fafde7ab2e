/**
 * The emulator as the real kubectl sees it, started through `flotilla kube-emulator` in
 * its own process: get (server-side Table columns), apply --server-side, conflicts,
 * delete, a bounded `get -w`, the unreachable knob, and a clean SIGTERM shutdown.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasKubectl, KUBECTL } from '../../support/kubectl-path.ts'

const bin = join(import.meta.dirname, '../../../bin/flotilla.js')

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources:
          requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
`

interface Run { code: number, stdout: string, stderr: string }

/** Every value the client meant to send (not null, not status) is on the stored object. */
function expectSubset (actual: unknown, expected: unknown, path: string): void {
  if (expected === null || expected === undefined) return
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true)
    expected.forEach((e, i) => { expectSubset((actual as unknown[])[i], e, `${path}[${i}]`) })
    return
  }
  if (typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) {
      if (k === 'status' && path.split('.').length === 1) continue
      expectSubset((actual as Record<string, unknown> | undefined)?.[k], v, `${path}.${k}`)
    }
    return
  }
  expect(actual, path).toEqual(expected)
}

describe.skipIf(!hasKubectl)(`real kubectl (${KUBECTL}) against flotilla kube-emulator${hasKubectl ? '' : ' — SKIPPED: kubectl not installed'}`, () => {
  let dir: string
  let child: ChildProcess
  let output = ''
  let adminUrl = ''
  let kubeconfig = ''
  let exit: Promise<number | null>

  function kubectl (...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '--request-timeout', '5s', ...args],
        { env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig }, timeout: 20_000 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
          resolve({ code, stdout, stderr })
        })
    })
  }

  async function until (what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-emulator-'))
    kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(join(dir, 'web.yaml'), MANIFEST)
    child = spawn(process.execPath, [bin, 'kube-emulator', '--port', '0', '--kubeconfig', kubeconfig, '--ready-delay-ms', '200', '--nodes', '3'],
      { stdio: ['ignore', 'pipe', 'pipe'] })
    exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    child.stdout?.on('data', (b: Buffer) => { output += b.toString() })
    child.stderr?.on('data', (b: Buffer) => { output += b.toString() })
    await until('the emulator to start', async () => /admin:\s+http:\/\/\S+\/_emulator/.test(output), 20_000)
    adminUrl = (/admin:\s+(http:\/\/[^/\s]+)/.exec(output) as RegExpExecArray)[1] as string
  })

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints the API URL and writes a kubeconfig client-node can load', async () => {
    expect(output).toMatch(/kube emulator "emulated" listening on http:\/\/127\.0\.0\.1:\d+/)
    expect(output).toContain(`kubeconfig: ${kubeconfig}`)
    const kc = new KubeConfig()
    kc.loadFromFile(kubeconfig)
    const nodes = await kc.makeApiClient(CoreV1Api).listNode()
    expect(nodes.items).toHaveLength(3)
  })

  it('kubectl get nodes prints the node table', async () => {
    const r = await kubectl('get', 'nodes')
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['node-0 Ready <none>', 'node-1 Ready <none>', 'node-2 Ready <none>'])
  })

  it('kubectl apply --server-side creates the objects, and get deploy shows them Ready in its columns', async () => {
    const r = await kubectl('apply', '--server-side', '-f', join(dir, 'web.yaml'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(['deployment.apps/web serverside-applied', 'service/web serverside-applied', 'configmap/web-config serverside-applied'])
    await until('web to be ready', async () => /^web\s+2\/2\s+2\s+2\s+\d+s$/m.test((await kubectl('get', 'deploy')).stdout))
    const table = await kubectl('get', 'deploy')
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    const pods = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'wide')
    expect(pods.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/)
    expect(pods.stdout.trim().split('\n').slice(1).every((l) => /\s1\/1\s+Running\s+0\s.*\snode-\d\s/.test(l))).toBe(true)
    const svc = await kubectl('get', 'svc', 'web')
    expect(svc.stdout).toMatch(/^web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s+/m)
    const again = await kubectl('apply', '--server-side', '-f', join(dir, 'web.yaml'))
    expect(again.stdout).toContain('deployment.apps/web serverside-applied')
  })

  it('kubectl apply --server-side by another field manager reports the conflict, and --force-conflicts takes over', async () => {
    writeFileSync(join(dir, 'web5.yaml'), MANIFEST.replace('replicas: 2', 'replicas: 5'))
    const conflict = await kubectl('apply', '--server-side', '--field-manager', 'other', '-f', join(dir, 'web5.yaml'))
    expect(conflict.code).not.toBe(0)
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas')
    const forced = await kubectl('apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', join(dir, 'web5.yaml'))
    expect(forced.code, forced.stderr).toBe(0)
    expect((await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('5')
  })

  it('kubectl get -w prints the table, then a row for each change (bounded to about 2 s)', async () => {
    const watch = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'deploy', 'web', '-w'],
      { env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    watch.stdout.on('data', (b: Buffer) => { out += b.toString() })
    const ended = new Promise((resolve) => watch.once('exit', resolve))
    const killer = setTimeout(() => watch.kill('SIGTERM'), 2_000)
    await until('the watch to print the table', async () => out.includes('NAME'), 5_000)
    const scaled = await kubectl('scale', 'deploy', 'web', '--replicas=3')
    expect(scaled.code, scaled.stderr).toBe(0)
    await ended
    clearTimeout(killer)
    const lines = out.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    expect(lines.length).toBeGreaterThan(2)
    expect(lines.slice(2).some((l) => /^web\s+\d\/3\s/.test(l))).toBe(true)
  })

  it('kubectl fails while the API refuses connections and works again after recovery', async () => {
    const off = await fetch(`${adminUrl}/_emulator/faults`, { method: 'PUT', body: JSON.stringify({ unreachable: 'refuse' }) })
    expect(off.status).toBe(200)
    await until('the API to refuse', async () => (await kubectl('get', 'nodes')).code !== 0, 5_000)
    const refused = await kubectl('get', 'nodes')
    expect(refused.stderr).toMatch(/connection.*refused|refused/)
    await fetch(`${adminUrl}/_emulator/faults`, { method: 'PUT', body: JSON.stringify({ unreachable: false }) })
    await until('the API to come back', async () => (await kubectl('get', 'nodes')).code === 0, 5_000)
    expect((await kubectl('get', 'deploy', 'web')).code).toBe(0)
  })

  it('typed kubectl create commands (protobuf bodies) create what their client-side dry run shows', async () => {
    const commands = [
      ['create', 'namespace', 'team'],
      ['create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=2', '--port=8080', '-n', 'team'],
      ['create', 'configmap', 'cfg', '--from-literal=a=b', '--from-literal=c=d', '-n', 'team'],
      ['create', 'service', 'clusterip', 'api', '--tcp=80:8080', '-n', 'team'],
      ['create', 'service', 'nodeport', 'api-np', '--tcp=90:9090', '-n', 'team'],
      ['run', 'one', '--image=busybox', '--labels=x=y', '--env=A=1', '-n', 'team', '--', 'sleep', '10']
    ]
    for (const command of commands) {
      const dashDash = command.indexOf('--')
      const flags = ['--dry-run=client', '-o', 'json']
      const dry = await kubectl(...(dashDash < 0 ? [...command, ...flags] : [...command.slice(0, dashDash), ...flags, ...command.slice(dashDash)]))
      expect(dry.code, dry.stderr).toBe(0)
      const expected = JSON.parse(dry.stdout) as { kind: string, metadata: { name: string, namespace?: string } }
      const created = await kubectl(...command)
      expect(created.code, `${command.join(' ')}: ${created.stderr}`).toBe(0)
      const got = await kubectl('get', expected.kind.toLowerCase(), expected.metadata.name, ...(expected.kind === 'Namespace' ? [] : ['-n', 'team']), '-o', 'json')
      expect(got.code, got.stderr).toBe(0)
      expectSubset(JSON.parse(got.stdout), expected, expected.kind)
    }
    await until('api to be ready', async () => /^api\s+2\/2\s/m.test((await kubectl('get', 'deploy', '-n', 'team')).stdout))
    expect((await kubectl('delete', 'namespace', 'team')).code).toBe(0)
  })

  it('kubectl delete -f removes the objects and their pods', async () => {
    const r = await kubectl('delete', '-f', join(dir, 'web.yaml'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(['deployment.apps "web" deleted', 'service "web" deleted', 'configmap "web-config" deleted'])
    const left = await kubectl('get', 'deploy,pods', '-l', 'app=web')
    expect(left.stdout.trim()).toBe('')
    expect(left.stderr).toContain('No resources found')
  })

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect(output).toContain('kube emulator stopped (SIGTERM)')
  })
})
