/**
 * `flotilla apply -f <file|dir|->`: server-side apply of every object in the manifests,
 * at the site the kubeconfig points at (which becomes the objects' origin). Kinds are
 * resolved through the site's discovery before anything is sent, so a manifest with an
 * unknown or read-only kind changes nothing. Objects go a few at a time; each gets a
 * result line (`deployment.apps/web created`), a refused one its error and one line per
 * bad field; a large apply on a terminal shows a progress bar. The exit status is the
 * first failure's (docs/operations.md) when any object failed.
 */
import type { Command } from 'commander'
import { FlotillaError, isFlotillaError } from '../../model/errors.ts'
import { runBatch } from '../client/batch.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { discover, objectPath, typeLabel, type ResourceCatalog, type ResourceType } from '../client/discovery.ts'
import { readManifests, type ManifestObject, type SourcedObject } from '../client/manifests.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { objectErrorText } from '../format/object-errors.ts'
import { createProgress } from '../format/progress.ts'
import type { CliStreams } from '../output.ts'

/** From this many objects an apply counts as large: a terminal gets a progress bar. */
export const PROGRESS_FROM_OBJECTS = 10
const CONCURRENCY = 4

interface ApplyFlags extends ConnectionFlags, OutputFlags {
  filename?: string[]
  recursive?: boolean
  namespace?: string
  dryRun?: boolean
  forceConflicts?: boolean
  fieldManager: string
}

export interface PlannedObject {
  item: SourcedObject
  type: ResourceType
  namespace: string | undefined
  body: ManifestObject
  label: string
}

/** Commander reducer for repeatable flags. */
export function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/**
 * Resolves every object's kind and namespace; refuses the whole set, naming each bad
 * object, if any kind is unknown or not writable, or a namespace contradicts `-n`.
 */
export function planObjects (items: readonly SourcedObject[], catalog: ResourceCatalog, namespaceFlag: string | undefined, defaultNamespace: string, verb: 'patch' | 'delete'): PlannedObject[] {
  const problems: string[] = []
  const planned: PlannedObject[] = []
  for (const item of items) {
    const o = item.object
    const type = catalog.byKind(o.apiVersion, o.kind)
    if (type === undefined) {
      const sameKind = catalog.types.find((t) => t.kind === o.kind)
      problems.push(`${item.source}: no kind "${o.kind}" in apiVersion "${o.apiVersion}" at this site${sameKind === undefined ? '' : ` (did you mean apiVersion ${sameKind.apiVersion}?)`}`)
      continue
    }
    if (!type.verbs.includes(verb)) {
      problems.push(`${item.source}: ${type.kind} objects are read-only (they come from the sites' own reports)`)
      continue
    }
    const own = o.metadata.namespace
    if (type.namespaced && own !== undefined && namespaceFlag !== undefined && own !== namespaceFlag) {
      problems.push(`${item.source}: ${o.kind} "${o.metadata.name}" is in namespace "${own}", not in -n "${namespaceFlag}"`)
      continue
    }
    const namespace = type.namespaced ? own ?? namespaceFlag ?? defaultNamespace : undefined
    const metadata = { ...o.metadata }
    if (namespace === undefined) delete metadata.namespace
    else metadata.namespace = namespace
    planned.push({ item, type, namespace, body: { ...o, metadata }, label: `${typeLabel(type)}/${o.metadata.name}` })
  }
  if (problems.length > 0) {
    throw new FlotillaError('input-invalid', `nothing was ${verb === 'patch' ? 'applied' : 'deleted'}: ${problems.length} object(s) cannot be:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      `The site serves: ${[...new Set(catalog.types.filter((t) => t.verbs.includes(verb)).map((t) => `${t.kind} (${t.apiVersion})`))].join(', ')}.`)
  }
  return planned
}

/** Summarises failed objects as one error whose code (and exit status) is the first failure's. */
export function batchFailure (failures: readonly unknown[], total: number, verb: string): FlotillaError {
  const first = failures[0]
  const code = isFlotillaError(first) ? first.code : 'internal'
  const hint = isFlotillaError(first) ? first.hint : 'See the errors above.'
  return new FlotillaError(code, `${failures.length} of ${total} object(s) were not ${verb} (see above)`, hint)
}

export function registerApplyCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('apply')
    .description('server-side apply YAML/JSON manifests (files, directories or - for stdin) at this site')
    .option('-f, --filename <path>', 'manifest file, directory, or - for standard input (repeatable)', collect)
    .option('-R, --recursive', 'include subdirectories of directories given to -f')
    .option('-n, --namespace <ns>', 'namespace for objects that name none (default: the kubeconfig context\'s)')
    .option('--dry-run', 'ask the site to validate and merge without storing (server dry run)')
    .option('--force-conflicts', 'take over fields another field manager owns')
    .option('--field-manager <name>', 'field manager recorded for the applied fields', 'flotilla')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (flags: ApplyFlags) => {
    const format = parseOutputFormat(flags.output)
    const items = await readManifests(flags.filename ?? [], { recursive: flags.recursive === true, ...(streams.readStdin === undefined ? {} : { readStdin: streams.readStdin }) })
    await withSiteClient(flags, 'admin', async (client) => {
      const planned = planObjects(items, await discover(client), flags.namespace, client.connection.namespace, 'patch')
      const progress = createProgress(streams, { enabled: planned.length >= PROGRESS_FROM_OBJECTS && format === 'table' })
      const applied: unknown[] = []
      const failures: unknown[] = []
      const suffix = flags.dryRun === true ? ' (server dry run)' : ''
      progress.update(0, planned.length)
      await runBatch(planned, (p) => `${p.label}/${p.namespace ?? ''}`, CONCURRENCY, async (p) => {
        return await client.request('PATCH', objectPath(p.type, p.namespace, p.body.metadata.name), {
          query: { fieldManager: flags.fieldManager, force: flags.forceConflicts === true ? 'true' : undefined, dryRun: flags.dryRun === true ? 'All' : undefined },
          body: p.body,
          contentType: 'application/apply-patch+yaml'
        })
      }, (p, outcome, i) => {
        if (outcome.ok) {
          applied.push(outcome.value.body)
          if (format === 'table') progress.line(`${p.label} ${outcome.value.status === 201 ? 'created' : 'serverside-applied'}${suffix}`)
        } else {
          failures.push(outcome.error)
          progress.line(objectErrorText(p.label, p.item.source, outcome.error), 'err')
        }
        progress.update(i + 1, planned.length, p.label)
      })
      progress.finish()
      if (format !== 'table') printAs(streams, format, { apiVersion: 'v1', kind: 'List', metadata: {}, items: applied }, () => '')
      if (failures.length > 0) throw batchFailure(failures, planned.length, 'applied')
    })
  })
}
