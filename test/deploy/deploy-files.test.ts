/**
 * The production files in deploy/ agree with the code they run: every example site
 * config passes the real loader and validator; the kustomize base, rendered by kubectl,
 * runs `flotilla site -c` on the config its ConfigMap holds, exposes and probes the ports
 * and health paths that config and the API really serve, keeps the store and the key on
 * the volume at `dataDir`, installs the API credentials where the site loads them, and
 * commits no Secret; the systemd unit and the container file run the same command.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, posix } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { loadSiteConfig, parseSiteConfig } from '../../src/config/load.ts'
import type { SiteConfig } from '../../src/config/schema.ts'
import { fromHex } from '../../src/identity/keys.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { parseKubePath } from '../../src/k8s/request-path.ts'
import { errorExitCode } from '../../src/model/errors.ts'
import { sitePkiPaths } from '../../src/pki/site-pki.ts'
import { createProgram } from '../../src/cli/program.ts'
import { hasKubectl, KUBECTL } from '../support/kubectl-path.ts'

const root = join(import.meta.dirname, '../..')
const deploy = join(root, 'deploy')
const read = (rel: string): string => readFileSync(join(deploy, rel), 'utf8')

function filesUnder (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

const portOf = (hostPort: string): number => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))
const hostOf = (hostPort: string): string => hostPort.slice(0, hostPort.lastIndexOf(':'))
function tcpPort (multiaddr: string): number {
  const m = /\/tcp\/(\d+)/.exec(multiaddr)
  if (m === null) throw new Error(`no /tcp/ port in ${multiaddr}`)
  return Number(m[1])
}

/** Checks that hold for every site config shipped in deploy/. */
function expectSensibleConfig (config: SiteConfig, raw: { dataDir?: unknown }): void {
  // Relative paths resolve against the config's folder, which both setups keep read-only.
  expect(isAbsolute(String(raw.dataDir))).toBe(true)
  const others = new Set<string>(config.roster.filter((m) => m.siteId !== config.site.id).map((m) => peerIdFromPublicKey(fromHex(m.publicKey))))
  expect(config.p2p.bootstrap.length).toBeGreaterThan(0)
  for (const addr of config.p2p.bootstrap) {
    const peer = /\/p2p\/([^/]+)$/.exec(addr)?.[1]
    expect(peer !== undefined && others.has(peer), `${addr} should end in the peer id of another roster member`).toBe(true)
  }
  for (const c of config.clusters) if (c.mode === 'push') expect(isAbsolute(String(c.kubeconfig))).toBe(true)
}

describe('site configs in deploy/', () => {
  const configs = filesUnder(deploy).filter((f) => /^site[^/]*\.ya?ml$/.test(basename(f)))

  it('ships the ConfigMap\'s config and the systemd example', () => {
    expect(configs.map((f) => f.slice(deploy.length + 1)).sort()).toEqual(['kubernetes/site.yaml', 'systemd/site.example.yaml'])
  })

  it.each(configs.map((f) => [f.slice(deploy.length + 1), f]))('%s passes the site config loader and validator', async (_, file) => {
    const config = await loadSiteConfig(file)
    expectSensibleConfig(config, parseYaml(readFileSync(file, 'utf8')) as { dataDir?: unknown })
  })
})

describe('the flotilla commands the deploy files run', () => {
  it('has `site -c <file>` and, for the README, `config-check -c <file>`', () => {
    const program = createProgram({ out: () => {}, err: () => {} } as never)
    for (const name of ['site', 'config-check']) {
      const cmd = program.commands.find((c) => c.name() === name)
      expect(cmd?.options.map((o) => o.flags)).toContain('-c, --config <file>')
    }
  })
})

/** `Key=value` lines of a unit file, every value of a repeated key kept. */
function unitSettings (text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim())
    if (m !== null) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!])
  }
  return out
}

describe('deploy/systemd/flotilla-site.service', () => {
  const unit = unitSettings(read('systemd/flotilla-site.service'))
  const one = (key: string): string | undefined => unit.get(key)?.at(-1)

  it('runs `flotilla site -c /etc/flotilla/site.yaml` on the pinned Node, and does not loop on a bad config', () => {
    expect(one('ExecStart')).toBe('/opt/flotilla/node_modules/.bin/node /opt/flotilla/bin/flotilla.js site -c /etc/flotilla/site.yaml')
    // RestartPreventExitStatus applies to the main process only, so the config is checked there.
    expect(unit.has('ExecStartPre')).toBe(false)
    expect(one('RestartPreventExitStatus')?.split(/\s+/)).toEqual(expect.arrayContaining([String(errorExitCode('config-invalid')), '3']))
  })

  it('keeps the example config\'s data in its state directory', async () => {
    const config = await loadSiteConfig(join(deploy, 'systemd/site.example.yaml'))
    expect(`/var/lib/${one('StateDirectory') ?? ''}`).toBe(config.dataDir)
    expect(one('WorkingDirectory')).toBe(config.dataDir)
  })

  it('runs hardened, as its own user, and restarts on failure', async () => {
    expect(one('User')).toBe('flotilla')
    expect(one('NoNewPrivileges')).toBe('yes')
    expect(one('ProtectSystem')).toBe('strict')
    expect(one('Restart')).toBe('on-failure')
    // V8 needs writable executable memory; this setting would stop every start.
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false)
    // With no capabilities the site can only bind ports above 1023.
    expect(one('CapabilityBoundingSet')).toBe('')
    const config = await loadSiteConfig(join(deploy, 'systemd/site.example.yaml'))
    const ports = [...config.p2p.listen.map(tcpPort), ...[config.api, config.dashboard].flatMap((l) => l === undefined ? [] : [portOf(l.listen)])]
    for (const p of ports) expect(p).toBeGreaterThan(1023)
  })
})

describe('deploy/container/Containerfile', () => {
  const text = read('container/Containerfile')
  const instructions = text.split('\n').filter((l) => /^[A-Z]+ /.test(l))
  const json = (name: string): unknown => JSON.parse(instructions.find((l) => l.startsWith(`${name} `))!.slice(name.length + 1))

  it('builds in two stages with production dependencies only', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).length).toBe(2)
    expect(text).toMatch(/^RUN npm ci --omit=dev\b/m)
    expect(text).toMatch(/^COPY --from=build /m)
  })

  it('copies what the CLI loads, and the build context holds only that', () => {
    const copied = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1))
    expect(copied.sort()).toEqual(['bin', 'package-lock.json', 'package.json', 'sim', 'src'])
    const allowed = read('container/Containerfile.dockerignore').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''))
    expect(allowed.sort()).toEqual(copied)
  })

  it('runs bin/flotilla.js on the pinned Node as a numeric non-root user', () => {
    expect(json('ENTRYPOINT')).toEqual(['/opt/flotilla/node_modules/.bin/node', '/opt/flotilla/bin/flotilla.js'])
    expect(json('CMD')).toEqual(['site', '-c', '/etc/flotilla/site.yaml'])
    expect(instructions.filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER 10001:10001')
  })
})

interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  ports?: Array<{ name: string, containerPort: number }>
  volumeMounts?: Array<{ name: string, mountPath: string, readOnly?: boolean }>
  startupProbe?: Probe
  livenessProbe?: Probe
  readinessProbe?: Probe
}
interface Probe { httpGet?: { path: string, port: string | number, scheme?: string } }
interface Volume { name: string, configMap?: { name: string }, secret?: { secretName: string }, emptyDir?: object }
interface StatefulSet {
  metadata: { name: string }
  spec: {
    replicas: number
    serviceName: string
    selector: { matchLabels: Record<string, string> }
    template: {
      metadata: { labels: Record<string, string> }
      spec: { securityContext?: { runAsNonRoot?: boolean, runAsUser?: number }, initContainers?: Container[], containers: Container[], volumes: Volume[] }
    }
    volumeClaimTemplates: Array<{ metadata: { name: string } }>
  }
}
interface Service { metadata: { name: string }, spec: { selector: Record<string, string>, ports: Array<{ name: string, port: number, targetPort: string | number }> } }
interface KubeDoc { kind: string, metadata: { name: string }, data?: Record<string, string> }

function rendered (): KubeDoc[] {
  const text = execFileSync(KUBECTL, ['kustomize', join(deploy, 'kubernetes')], { encoding: 'utf8', timeout: 60_000 })
  return parseAllDocuments(text).map((d) => d.toJS() as KubeDoc)
}

describe.skipIf(!hasKubectl)(`the kustomize base deploy/kubernetes (${hasKubectl ? `rendered by ${KUBECTL}` : 'skipped: no kubectl on PATH or at /usr/bin/kubectl'})`, () => {
  const docs = hasKubectl ? rendered() : []
  const only = <T>(kind: string): T => {
    const found = docs.filter((d) => d.kind === kind)
    expect(found.length, `one ${kind}`).toBe(1)
    return found[0] as T
  }
  const sts = (): StatefulSet => only<StatefulSet>('StatefulSet')
  const services = (): Service[] => docs.filter((d) => d.kind === 'Service') as unknown as Service[]
  const pod = (): StatefulSet['spec']['template']['spec'] => sts().spec.template.spec
  const site = (): Container => pod().containers.find((c) => c.name === 'site')!
  const init = (): Container => pod().initContainers!.find((c) => c.name === 'install-credentials')!
  const volume = (name: string): Volume => pod().volumes.find((v) => v.name === name)!
  const mountOf = (c: Container, volumeName: string): string | undefined => c.volumeMounts?.find((m) => m.name === volumeName)?.mountPath
  const configPath = (): string => {
    const args = site().args ?? []
    expect(args.slice(0, 2)).toEqual(['site', '-c'])
    return args[2]!
  }
  const config = (): SiteConfig => {
    const path = configPath()
    const mounted = site().volumeMounts!.find((m) => m.mountPath === posix.dirname(path))!
    const map = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === volume(mounted.name).configMap?.name)
    expect(map, `the ConfigMap mounted at ${posix.dirname(path)}`).toBeDefined()
    return parseSiteConfig(parseYaml(map!.data![posix.basename(path)]!), `ConfigMap ${map!.metadata.name}`)
  }

  it('renders a namespace, the site config, the Services and one StatefulSet, and no Secret', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Namespace', 'Service', 'Service', 'StatefulSet'])
  })

  it('runs exactly one site pod, governed by a Service; every Service selects it', () => {
    const s = sts()
    const labels = s.spec.template.metadata.labels
    expect(s.spec.replicas).toBe(1)
    expect(services().map((x) => x.metadata.name)).toContain(s.spec.serviceName)
    expect(labels).toMatchObject(s.spec.selector.matchLabels)
    for (const x of services()) expect(labels).toMatchObject(x.spec.selector)
    expect(pod().securityContext?.runAsNonRoot).toBe(true)
  })

  it('runs `flotilla site -c` on the valid site config its ConfigMap holds', () => {
    expect(config().site.id).toBe('eu-west')
    expect(site().image).toBe(init().image)
  })

  it('exposes and serves the ports the config listens on, on every interface', () => {
    const c = config()
    const ports = Object.fromEntries((site().ports ?? []).map((p) => [p.name, p.containerPort]))
    expect(ports).toEqual({ p2p: tcpPort(c.p2p.listen[0]!), api: portOf(c.api!.listen), dashboard: portOf(c.dashboard!.listen) })
    expect(c.p2p.listen[0]).toMatch(/^\/ip4\/0\.0\.0\.0\//)
    expect([hostOf(c.api!.listen), hostOf(c.dashboard!.listen)]).toEqual(['0.0.0.0', '0.0.0.0'])
    const served = services().flatMap((x) => x.spec.ports)
    expect(served.map((p) => p.targetPort).sort()).toEqual(['api', 'dashboard', 'p2p'])
    for (const p of served) expect(ports[String(p.targetPort)], `Service port ${p.name}`).toBe(p.port)
    // p2p alone faces the other sites; the API and the unauthenticated dashboard do not share its Service.
    const p2p = services().find((x) => x.spec.ports.some((p) => p.targetPort === 'p2p'))!
    expect(p2p.spec.ports.map((p) => p.targetPort)).toEqual(['p2p'])
  })

  it('probes health paths the site API answers without credentials, over TLS', () => {
    const probes = [site().startupProbe, site().livenessProbe, site().readinessProbe]
    for (const p of probes) {
      expect(p?.httpGet?.port).toBe('api')
      expect(p?.httpGet?.scheme).toBe('HTTPS')
      expect(parseKubePath(p!.httpGet!.path, () => undefined)).toMatchObject({ type: 'health' })
    }
  })

  it('keeps the store and the key on the claimed volume at dataDir', () => {
    const c = config()
    expect(sts().spec.volumeClaimTemplates.map((t) => t.metadata.name)).toContain('data')
    expect(mountOf(site(), 'data')).toBe(c.dataDir)
    expect(mountOf(init(), 'data')).toBe(c.dataDir)
    expect(c.keyFile).toBeUndefined()
  })

  it('installs the key and the API credentials where the site loads them, mode 0600, from a Secret not in git', () => {
    const c = config()
    const secretDir = mountOf(init(), 'credentials')!
    expect(volume('credentials').secret?.secretName).toBe('flotilla-site-credentials')
    expect(mountOf(site(), 'credentials')).toBeUndefined()
    const script = (init().command ?? []).join('\n')
    // keyFile defaults to <dataDir>/site.key; the API loads these files from <dataDir>/pki.
    expect(script).toContain(`install -m 0600 ${secretDir}/site.key ${posix.join(c.dataDir, 'site.key')}`)
    const pki = sitePkiPaths(posix.join(c.dataDir, 'pki'))
    for (const file of [pki.caCert, pki.serverCert, pki.serverKey, pki.tokens]) {
      expect(dirname(file)).toBe(posix.join(c.dataDir, 'pki'))
      expect(script).toMatch(new RegExp(`for f in [^;]*\\b${basename(file).replace('.', '\\.')}\\b`))
    }
    expect(script).toContain(`install -m 0600 "${secretDir}/$f" "${posix.join(c.dataDir, 'pki')}/$f"`)
  })

  it('mounts every push cluster\'s kubeconfig from the member-kubeconfig Secret', () => {
    const dir = mountOf(site(), 'kubeconfigs')!
    expect(volume('kubeconfigs').secret?.secretName).toBe('flotilla-member-kubeconfigs')
    const push = config().clusters.filter((cl) => cl.mode === 'push')
    expect(push.length).toBeGreaterThan(0)
    for (const cl of push) expect(posix.dirname(cl.kubeconfig!)).toBe(dir)
  })

  it('runs as the user the container image declares', () => {
    const user = /^USER (\d+):\d+$/m.exec(read('container/Containerfile'))?.[1]
    expect(pod().securityContext?.runAsUser).toBe(Number(user))
  })
})

describe('secrets', () => {
  it('are never committed under deploy/', () => {
    for (const file of filesUnder(deploy)) {
      const text = readFileSync(file, 'utf8')
      expect(text, file).not.toMatch(/PRIVATE KEY|"seed"|^\s*seed:|^kind: Secret/m)
    }
  })
})
