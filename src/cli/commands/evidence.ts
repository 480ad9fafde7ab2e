/**
 * `flotilla evidence`: the Byzantine evidence the site recorded against peers — bad
 * signatures, unauthorized writes, equivocations, floods, replays, false claims — with
 * the offender, how often, and what was seen. The self-proving bytes (two conflicting
 * signed envelopes, for instance) are in `-o json|yaml` as `proof`.
 */
import type { Command } from 'commander'
import type { EvidenceRecord } from '../../model/federation.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { fetchEvidence } from '../client/flotilla-api.ts'
import { isoTime } from '../format/durations.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { renderTable } from '../format/table.ts'
import type { CliStreams } from '../output.ts'

export function evidenceTable (items: readonly EvidenceRecord[]): string {
  return renderTable(['kind', 'offender', 'observed-by', 'count', 'last-seen', 'proof', 'detail'], items.map((e) => [
    e.kind, e.offender, e.observedBy, e.count, isoTime(e.at), e.proof === undefined || e.proof.length === 0 ? '-' : `${e.proof.length} item(s)`, e.detail
  ]))
}

export function registerEvidenceCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('evidence')
    .description('Byzantine evidence this site recorded: kind, offender, count, detail (-o json includes the proof)')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (flags: ConnectionFlags & OutputFlags) => {
    const format = parseOutputFormat(flags.output)
    const answer = await withSiteClient(flags, 'admin', fetchEvidence)
    if (format === 'table' && answer.items.length === 0) { streams.err(`No evidence recorded at site ${answer.site}: no peer misbehaved.\n`); return }
    printAs(streams, format, answer, () => evidenceTable(answer.items) +
      (answer.items.some((e) => (e.proof?.length ?? 0) > 0) ? '\nThe proof bytes (base64) are in -o json or -o yaml.\n' : ''))
  })
}
