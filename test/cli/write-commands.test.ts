/**
 * `flotilla apply` and `flotilla delete` against a real site API over HTTPS: server-side
 * apply of multi-document manifests, files and directories, result lines per object, a
 * progress bar only on a terminal, field errors from a 422 one per field, and refusals
 * (unknown kind, read-only kind, another site's object, a read-only role, missing files)
 * with their codes and exit statuses, changing nothing where the input was bad.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { workloadKey } from '../../src/model/kube.ts'
import { BAD_YAML, deployment, WEB_STACK_YAML } from '../api/support/manifests.ts'
import { runCli, startCliSite, type CliSite } from './support/cli-site.ts'

describe('regional ops write commands', () => {
  let s: CliSite
  let kc: string
  let dir: string
  let n = 0
  const file = (name: string, text: string): string => {
    const path = join(dir, `${++n}-${name}`)
    writeFileSync(path, text)
    return path
  }
  const names = (): string[] => s.site.view().workloads.map((w) => w.key)

  beforeAll(async () => {
    s = await startCliSite()
    kc = s.kubeconfig('admin')
    dir = join(s.home, 'manifests')
    mkdirSync(dir)
  })

  afterAll(async () => { await s.close() })

  describe('apply', () => {
    beforeEach(() => {
      // Each test starts from a view without this site's workloads and policies.
      s.site.change((v) => ({ ...v, workloads: v.workloads.filter((w) => w.origin !== 'eu-west'), policies: v.policies.filter((p) => p.origin !== 'eu-west') }))
    })

    it('applies every document of a manifest server-side and prints one line per object', async () => {
      const path = file('web.yaml', WEB_STACK_YAML)
      const r = await runCli(['apply', '-f', path, '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe([
        'deployment.apps/web created', 'service/web created', 'ingress.networking.k8s.io/web created', 'propagationpolicy.policy.flotilla.io/web-spread created', ''
      ].join('\n'))
      expect(names()).toEqual(['apps/Deployment/default/web', 'core/Service/default/web', 'networking.k8s.io/Ingress/default/web'])
      expect(s.site.view().policies.map((p) => p.key)).toEqual(['policy.flotilla.io/PropagationPolicy/default/web-spread'])
      const again = await runCli(['apply', '-f', path, '--kubeconfig', kc])
      expect(again.stdout.split('\n')[0]).toBe('deployment.apps/web serverside-applied')
      const managed = s.site.view().workloads[0]?.manifest.metadata.managedFields as Array<{ manager: string }> | undefined
      expect(managed?.map((m) => m.manager)).toContain('flotilla')
    })

    it('applies a directory (and with -R its subdirectories), honours -n, and prints the applied objects with -o json', async () => {
      const d = join(dir, 'tree')
      mkdirSync(join(d, 'nested'), { recursive: true })
      writeFileSync(join(d, 'a.yaml'), stringify(deployment('alpha', { namespace: undefined as unknown as string })).replace(/\n {2}namespace: default\n/, '\n'))
      writeFileSync(join(d, 'b.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'fast' } }] }))
      writeFileSync(join(d, 'notes.txt'), 'not a manifest')
      writeFileSync(join(d, 'nested', 'c.yml'), stringify(deployment('gamma', { namespace: 'team' })))
      const flat = await runCli(['apply', '-f', d, '-n', 'team', '--kubeconfig', kc, '-o', 'json'])
      expect(flat.code).toBe(0)
      const list = flat.json<{ kind: string, items: Array<{ kind: string, metadata: { name: string, namespace: string } }> }>()
      expect(list.kind).toBe('List')
      expect(list.items.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['Deployment/team/alpha', 'ConfigMap/team/settings'])
      const deep = await runCli(['apply', '-R', '-f', d, '-n', 'team', '--kubeconfig', kc])
      expect(deep.code).toBe(0)
      expect(deep.stdout).toMatch(/^deployment\.apps\/gamma created$/m)
    })

    it('draws a progress bar on a terminal for a large apply, and plain lines otherwise', async () => {
      const many = Array.from({ length: 12 }, (_, i) => stringify(deployment(`bulk-${String(i).padStart(2, '0')}`, { replicas: 1 }))).join('---\n')
      const path = file('bulk.yaml', many)
      const tty = await runCli(['apply', '-f', path, '--kubeconfig', kc], { tty: true })
      expect(tty.code).toBe(0)
      expect(tty.stdout.trim().split('\n')).toHaveLength(12)
      expect(tty.stdout.split('\n')[11]).toBe('deployment.apps/bulk-11 created')
      expect(tty.stderr.replaceAll('\x1b', '<ESC>')).toMatch(/\r<ESC>\[K\[#{28}\] 100% 12\/12 deployment\.apps\/bulk-11/)
      expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true)
      const plain = await runCli(['apply', '-f', path, '--kubeconfig', kc])
      expect(plain.stderr).toBe('')
      expect(plain.stdout.trim().split('\n')).toHaveLength(12)
      // A small apply on a terminal prints lines only.
      const one = await runCli(['apply', '-f', file('one.yaml', stringify(deployment('solo'))), '--kubeconfig', kc], { tty: true })
      expect(one.stderr).toBe('')
    })

    it('reads standard input for -f -', async () => {
      const r = await runCli(['apply', '-f', '-', '--kubeconfig', kc], { stdin: stringify(deployment('piped')) })
      expect(r.code).toBe(0)
      expect(r.stdout).toBe('deployment.apps/piped created\n')
    })

    it('lists every bad field of a 422 one per line, applies the valid objects, and exits 2', async () => {
      const path = file('bad.yaml', `${stringify(deployment('fine'))}---\n${BAD_YAML}`)
      const r = await runCli(['apply', '-f', path, '--kubeconfig', kc])
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('deployment.apps/fine created\n')
      expect(r.stderr).toMatch(new RegExp(`^error\\[input-invalid\\]: deployment\\.apps/broken \\(${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}#2\\) is invalid:\\n`))
      expect(r.stderr).toMatch(/^ {2}- spec\.replicas: .+$/m)
      expect(r.stderr).toMatch(/^ {2}- metadata\.annotations\["flotilla\.io\/residency"\]: expected "global", "local-only" or "regions=.+: received "somewhere"$/m)
      expect(r.stderr).toMatch(/^ {2}- spec\.template\.spec\.containers\[0\]\.image: Required value$/m)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: 1 of 2 object\(s\) were not applied \(see above\)\n {2}hint: Fix the fields listed above/m)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(names()).toEqual(['apps/Deployment/default/fine'])
    })

    it('refuses a manifest with an unknown or read-only kind before applying anything', async () => {
      const writes = s.site.writes
      const path = file('mixed.yaml', `${stringify(deployment('ok'))}---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: cluster.flotilla.io/v1alpha1\nkind: Cluster\nmetadata: {name: eu-west.c9}\n---\napiVersion: apps/v2\nkind: Deployment\nmetadata: {name: v2}\n`)
      const r = await runCli(['apply', '-f', path, '--kubeconfig', kc])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: nothing was applied: 3 object\(s\) cannot be:\n/)
      expect(r.stderr).toMatch(/#2: no kind "Pod" in apiVersion "v1" at this site\n/)
      expect(r.stderr).toMatch(/#3: Cluster objects are read-only/)
      expect(r.stderr).toMatch(/#4: no kind "Deployment" in apiVersion "apps\/v2" at this site \(did you mean apiVersion apps\/v1\?\)/)
      expect(r.stderr).toMatch(/hint: The site serves: Namespace \(v1\), Service \(v1\)/)
      expect(s.site.writes).toBe(writes)
    })

    it('refuses unreadable input with the path: a missing file, bad YAML, an object without a name', async () => {
      const missing = await runCli(['apply', '-f', join(dir, 'absent.yaml'), '--kubeconfig', kc])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toMatch(/^error\[input-invalid\]: cannot read .*absent\.yaml: no such file or directory\n {2}hint: /)
      const yaml = await runCli(['apply', '-f', file('broken.yaml', 'kind: [unclosed\n'), '--kubeconfig', kc])
      expect(yaml.code).toBe(2)
      expect(yaml.stderr).toMatch(/^error\[input-invalid\]: .*broken\.yaml:\d+: not valid YAML or JSON/)
      const unnamed = await runCli(['apply', '-f', file('unnamed.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'), '--kubeconfig', kc])
      expect(unnamed.stderr).toMatch(/^error\[input-invalid\]: .*unnamed\.yaml#1: missing metadata\.name/)
      const none = await runCli(['apply', '--kubeconfig', kc])
      expect(none.code).toBe(2)
      expect(none.stderr).toMatch(/^error\[input-invalid\]: no manifests given\n {2}hint: Pass -f <file\|dir\|->\./)
      const contradiction = await runCli(['apply', '-f', file('ns.yaml', stringify(deployment('x', { namespace: 'a' }))), '-n', 'b', '--kubeconfig', kc])
      expect(contradiction.stderr).toMatch(/Deployment "x" is in namespace "a", not in -n "b"/)
    })

    it('says which site owns an object another site created (origin-mismatch, exit 5)', async () => {
      s.site.seedWorkload('ap-east', deployment('catalog'))
      const r = await runCli(['apply', '-f', file('catalog.yaml', stringify(deployment('catalog', { replicas: 9 }))), '--kubeconfig', kc])
      expect(r.code).toBe(5)
      expect(r.stderr).toMatch(/^error\[origin-mismatch\]: deployment\.apps\/catalog \(.*\): deployments\.apps "catalog" is forbidden: it was created at site "ap-east"/)
      expect(r.stderr).toMatch(/hint: Change or delete the object at the site that created it/)
    })

    it('is refused for a viewer (403, exit 6) and stores nothing on --dry-run', async () => {
      const path = file('dry.yaml', stringify(deployment('dry')))
      const viewer = await runCli(['apply', '-f', path, '--kubeconfig', s.kubeconfig('viewer')])
      expect(viewer.code).toBe(6)
      expect(viewer.stderr).toMatch(/error\[forbidden\]: deployment\.apps\/dry \(.*\): deployments\.apps "dry" is forbidden: User "viewer@eu-west" \(role "viewer"\)/)
      const writes = s.site.writes
      const dry = await runCli(['apply', '-f', path, '--dry-run', '--kubeconfig', kc])
      expect(dry.code).toBe(0)
      expect(dry.stdout).toBe('deployment.apps/dry created (server dry run)\n')
      expect(s.site.writes).toBe(writes)
    })
  })

  describe('delete', () => {
    beforeAll(async () => {
      s.site.change((v) => ({ ...v, workloads: [], policies: [] }))
      for (const name of ['one', 'two', 'three']) await s.site.putObject(deployment(name))
      await s.site.putObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'one', namespace: 'default' }, spec: { selector: { app: 'one' }, ports: [{ port: 80 }] } })
      s.site.seedWorkload('ap-east', deployment('theirs'))
    })

    it('deletes by type and name, and by type/name', async () => {
      const r = await runCli(['delete', 'deploy', 'one', 'two', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe('deployment.apps "one" deleted\ndeployment.apps "two" deleted\n')
      const slash = await runCli(['delete', 'svc/one', '--kubeconfig', kc, '-o', 'json'])
      expect(slash.code).toBe(0)
      expect(slash.json<{ kind: string, items: unknown[] }>()).toEqual({ apiVersion: 'flotilla.io/v1', kind: 'DeleteResult', dryRun: false, items: [{ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'one', existed: true }] })
      expect(names()).toEqual(['apps/Deployment/default/theirs', 'apps/Deployment/default/three'])
    })

    it('deletes the objects of a manifest with -f', async () => {
      const r = await runCli(['delete', '-f', file('three.yaml', stringify(deployment('three'))), '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe('deployment.apps "three" deleted\n')
      expect(names()).toEqual([workloadKey(deployment('theirs'))])
    })

    it('says not-found (exit 4) for an object that does not exist, unless --ignore-not-found', async () => {
      const r = await runCli(['delete', 'deployment', 'ghost', '--kubeconfig', kc])
      expect(r.code).toBe(4)
      expect(r.stderr).toMatch(/^error\[not-found\]: deployments\.apps "ghost" not found\n {2}hint: /)
      const ok = await runCli(['delete', 'deployment', 'ghost', '--ignore-not-found', '--kubeconfig', kc])
      expect(ok.code).toBe(0)
      expect(ok.stdout).toBe('deployment.apps "ghost" not found (ignored)\n')
    })

    it('refuses another site\'s object, unknown and read-only types, and incomplete arguments', async () => {
      const theirs = await runCli(['delete', 'deploy', 'theirs', '--kubeconfig', kc])
      expect(theirs.code).toBe(5)
      expect(theirs.stderr).toMatch(/^error\[origin-mismatch\]: .*created at site "ap-east"/)
      const pods = await runCli(['delete', 'pods', 'x', '--kubeconfig', kc])
      expect(pods.code).toBe(2)
      expect(pods.stderr).toMatch(/^error\[input-invalid\]: the site serves no resource type "pods"/)
      const clusters = await runCli(['delete', 'clusters', 'eu-west.c1', '--kubeconfig', kc])
      expect(clusters.code).toBe(2)
      expect(clusters.stderr).toMatch(/^error\[input-invalid\]: clusters cannot be deleted/)
      const nameless = await runCli(['delete', 'deploy', '--kubeconfig', kc])
      expect(nameless.code).toBe(2)
      expect(nameless.stderr).toMatch(/^error\[input-invalid\]: which deploy\? give its name/)
      const nothing = await runCli(['delete', '--kubeconfig', kc])
      expect(nothing.stderr).toMatch(/^error\[input-invalid\]: nothing to delete/)
      expect(names()).toEqual([workloadKey(deployment('theirs'))])
    })
  })
})
