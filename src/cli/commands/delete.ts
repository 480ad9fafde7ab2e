/**
 * `flotilla delete <type> <name>... [-n ns]` or `flotilla delete -f <file|dir|->`: deletes
 * objects this site originated (another site's objects are refused with the name of the
 * site that may delete them). Types are the names kubectl accepts (`deploy`,
 * `deployments.apps`, `Deployment`), also as `type/name`. One result line per object;
 * failures are listed and set the exit status.
 */
import type { Command } from 'commander'
import { FlotillaError, isFlotillaError } from '../../model/errors.ts'
import { runBatch } from '../client/batch.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { discover, objectPath, typeLabel, type ResourceType } from '../client/discovery.ts'
import { readManifests } from '../client/manifests.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { objectErrorText } from '../format/object-errors.ts'
import { createProgress } from '../format/progress.ts'
import type { CliStreams } from '../output.ts'
import { batchFailure, collect, planObjects, PROGRESS_FROM_OBJECTS } from './apply.ts'

interface DeleteFlags extends ConnectionFlags, OutputFlags {
  filename?: string[]
  recursive?: boolean
  namespace?: string
  ignoreNotFound?: boolean
  dryRun?: boolean
}

interface Target {
  type: ResourceType
  namespace: string | undefined
  name: string
  source: string
}

function usage (message: string): FlotillaError {
  return new FlotillaError('input-invalid', message, 'Use `flotilla delete <type> <name> [-n ns]` (e.g. delete deploy web) or `flotilla delete -f <file>`.')
}

export function registerDeleteCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('delete')
    .description('delete objects this site created: by type and name, or those in manifests (-f)')
    .argument('[type]', 'resource type (deploy, svc, pp, ...), or type/name')
    .argument('[names...]', 'object names')
    .option('-f, --filename <path>', 'delete the objects in this manifest file, directory or - (repeatable)', collect)
    .option('-R, --recursive', 'include subdirectories of directories given to -f')
    .option('-n, --namespace <ns>', 'namespace of the objects (default: the kubeconfig context\'s)')
    .option('--ignore-not-found', 'treat an object that does not exist as deleted')
    .option('--dry-run', 'ask the site to check the deletion without doing it (server dry run)')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (typeArg: string | undefined, namesArg: string[], flags: DeleteFlags) => {
    const format = parseOutputFormat(flags.output)
    const files = flags.filename ?? []
    const byFile = files.length > 0
    if (byFile && typeArg !== undefined) throw usage('give either -f or a type and names, not both')
    if (!byFile && typeArg === undefined) throw usage('nothing to delete: give a type and a name, or -f <file>')
    let names = namesArg
    let typeName = typeArg
    if (typeArg !== undefined && typeArg.includes('/')) {
      const [t, ...rest] = typeArg.split('/')
      typeName = t
      names = [rest.join('/'), ...namesArg]
    }
    if (!byFile && (names.length === 0 || names.some((n) => n === ''))) throw usage(`which ${typeName ?? 'object'}? give its name`)
    const items = byFile ? await readManifests(files, { recursive: flags.recursive === true, ...(streams.readStdin === undefined ? {} : { readStdin: streams.readStdin }) }) : []
    await withSiteClient(flags, 'admin', async (client) => {
      const catalog = await discover(client)
      let targets: Target[]
      if (byFile) {
        targets = planObjects(items, catalog, flags.namespace, client.connection.namespace, 'delete')
          .map((p) => ({ type: p.type, namespace: p.namespace, name: p.body.metadata.name, source: p.item.source }))
      } else {
        const type = catalog.require(typeName as string)
        if (!type.verbs.includes('delete')) throw new FlotillaError('input-invalid', `${type.plural} cannot be deleted: they come from the sites' own reports`, 'Delete workloads and policies; clusters and sites leave with their site\'s config.')
        const namespace = type.namespaced ? flags.namespace ?? client.connection.namespace : undefined
        targets = names.map((name) => ({ type, namespace, name, source: 'command line' }))
      }
      const progress = createProgress(streams, { enabled: targets.length >= PROGRESS_FROM_OBJECTS && format === 'table' })
      const deleted: Array<{ apiVersion: string, kind: string, namespace?: string, name: string, existed: boolean }> = []
      const failures: unknown[] = []
      const suffix = flags.dryRun === true ? ' (server dry run)' : ''
      // A single object by name fails with its own error alone; batches list each failure and summarise.
      const single = targets.length === 1 && !byFile
      await runBatch(targets, (t) => `${typeLabel(t.type)}/${t.namespace ?? ''}/${t.name}`, 4, async (t) => {
        try {
          await client.request('DELETE', objectPath(t.type, t.namespace, t.name), { query: { dryRun: flags.dryRun === true ? 'All' : undefined } })
          return true
        } catch (e) {
          if (flags.ignoreNotFound === true && isFlotillaError(e, 'not-found')) return false
          throw e
        }
      }, (t, outcome, i) => {
        const label = `${typeLabel(t.type)} "${t.name}"`
        if (outcome.ok) {
          deleted.push({ apiVersion: t.type.apiVersion, kind: t.type.kind, ...(t.namespace === undefined ? {} : { namespace: t.namespace }), name: t.name, existed: outcome.value })
          if (format === 'table') progress.line(`${label} ${outcome.value ? 'deleted' : 'not found (ignored)'}${suffix}`)
        } else {
          failures.push(outcome.error)
          if (!single) progress.line(objectErrorText(`${typeLabel(t.type)}/${t.name}`, t.source, outcome.error), 'err')
        }
        progress.update(i + 1, targets.length)
      })
      progress.finish()
      if (format !== 'table') printAs(streams, format, { apiVersion: 'flotilla.io/v1', kind: 'DeleteResult', dryRun: flags.dryRun === true, items: deleted }, () => '')
      if (failures.length > 0) {
        if (single) throw failures[0]
        throw batchFailure(failures, targets.length, 'deleted')
      }
    })
  })
}
