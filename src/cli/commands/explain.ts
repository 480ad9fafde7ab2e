/**
 * `flotilla explain <workload>`: why the workload runs where it runs — the scheduler's
 * per-cluster explanation (candidates, filters, scores, the chosen split) and the
 * placement this site acts on, as the site computes it now. The workload is named as
 * `kind/name` (with -n) or by its full key, `group/Kind/namespace/name`.
 */
import type { Command } from 'commander'
import { FlotillaError } from '../../model/errors.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { discover } from '../client/discovery.ts'
import { fetchExplanation } from '../client/flotilla-api.ts'
import type { SiteClient } from '../client/site-client.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import type { CliStreams } from '../output.ts'

const KEY_HINT = 'Name the workload as kind/name (e.g. deploy/web -n shop) or by its key group/Kind/namespace/name (e.g. apps/Deployment/shop/web).'

/** The workload key a user's argument names; discovery resolves `kind/name`. */
export async function workloadKeyOf (client: SiteClient, arg: string, namespaceFlag: string | undefined): Promise<string> {
  const parts = arg.split('/')
  if (parts.length === 4 && parts.every((p, i) => p !== '' || i === 2)) {
    if (namespaceFlag !== undefined && parts[2] !== namespaceFlag) throw new FlotillaError('input-invalid', `the key ${arg} names namespace "${parts[2]}", not -n "${namespaceFlag}"`, KEY_HINT)
    return arg
  }
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new FlotillaError('input-invalid', `cannot tell which workload "${arg}" is`, KEY_HINT)
  const type = (await discover(client)).require(parts[0] as string)
  const namespace = type.namespaced ? namespaceFlag ?? client.connection.namespace : '_'
  return `${type.group === '' ? 'core' : type.group}/${type.kind}/${namespace}/${parts[1]}`
}

export function registerExplainCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('explain')
    .description('the scheduler\'s per-cluster explanation of where a workload runs, and why')
    .argument('<workload>', 'kind/name (e.g. deploy/web) or the full key group/Kind/namespace/name')
    .option('-n, --namespace <ns>', 'namespace of kind/name (default: the kubeconfig context\'s)')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (arg: string, flags: ConnectionFlags & OutputFlags & { namespace?: string }) => {
    const format = parseOutputFormat(flags.output)
    const answer = await withSiteClient(flags, 'admin', async (client) => await fetchExplanation(client, await workloadKeyOf(client, arg, flags.namespace)))
    printAs(streams, format, answer, () => `${answer.workload.key} at site ${answer.site}:\n${answer.text.endsWith('\n') ? answer.text : `${answer.text}\n`}`)
  })
}
