/**
 * `flotilla compliance`: the data-compliance officer's report on the site — its
 * local-only records, the redacted stubs that stand for them in its replicated document,
 * and a leak scan (src/compliance) of every replicated document the site holds, history
 * and deleted values included, proving none of those records appears in them. It runs
 * with the auditor's kubeconfig (with --site, the auditor one is picked). The exit status
 * says the verdict: 0 clean (or only weak marks to review), 9 a local-only record leaked.
 */
import type { Command } from 'commander'
import type { ComplianceBody } from '../../api/flotilla-routes.ts'
import { FlotillaError } from '../../model/errors.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { fetchCompliance, type Answer } from '../client/flotilla-api.ts'
import { isoTime } from '../format/durations.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { bytesText } from '../format/quantities.ts'
import { renderTable } from '../format/table.ts'
import type { CliStreams } from '../output.ts'

type Report = Answer<ComplianceBody>

const VERDICTS: Record<ComplianceBody['verdict'], string> = {
  clean: 'CLEAN: no local-only record appears in any replicated document this site holds.',
  review: 'REVIEW: no strong mark (key, uid, namespace/name) of a local-only record was found; the weak marks below (a shared name or string) need an officer\'s judgement.',
  leak: 'LEAK: a replicated document holds a strong mark of a local-only record (listed below).',
  unavailable: 'UNAVAILABLE: the site could not scan its replicated documents.'
}

export function complianceText (r: Report): string {
  const out: string[] = [`Compliance report of site ${r.site} at ${isoTime(r.now)}\n\n`]
  out.push(`local-only records: ${r.localOnly.length}\n`)
  if (r.localOnly.length > 0) {
    out.push(renderTable(['kind', 'namespace', 'name', 'generation', 'updated'], r.localOnly.map((l) => [l.kind, l.namespace ?? '-', l.name, l.generation, isoTime(l.updatedAt)]), '  '))
  }
  out.push(`redacted stubs in this site's replicated document: ${r.stubs.length}\n\n`)
  if (r.scan.available) {
    const s = r.scan
    out.push(`scan: ${s.documents.length} replicated document(s), ${bytesText(s.bytes)}, ${s.changes} change(s) decoded, ${s.needles} mark(s) searched\n`)
    out.push(renderTable(['document', 'bytes', 'changes', 'findings'], s.documents.map((d) => [d.id, bytesText(d.bytes), d.changes, d.findings]), '  '))
    if (s.findings.length > 0) {
      out.push('\nfindings:\n', renderTable(['strength', 'document', 'record', 'mark', 'text', 'where'],
        s.findings.map((f) => [f.strong ? 'strong' : 'weak', f.source, f.needle.record, f.needle.kind, f.needle.text, f.where]), '  '))
    }
  } else {
    out.push(`scan: unavailable (${r.scan.reason})\n`)
  }
  if (r.replicatedAnomalies.length > 0) {
    out.push('\nreplicated documents carrying a workload marked local-only (ignored by the view):\n',
      renderTable(['document', 'key', 'detail'], r.replicatedAnomalies.map((a) => [a.document, a.key, a.detail]), '  '))
  }
  out.push(`\nverdict: ${VERDICTS[r.verdict]}\n`)
  return out.join('')
}

export function registerComplianceCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('compliance')
    .description('for the compliance officer: local-only records and a scan proving none left in replicated documents (auditor role)')
  addOutputOption(addConnectionOptions(cmd, 'auditor'))
  cmd.action(async (flags: ConnectionFlags & OutputFlags) => {
    const format = parseOutputFormat(flags.output)
    const report = await withSiteClient(flags, 'auditor', fetchCompliance)
    printAs(streams, format, report, () => complianceText(report))
    if (report.verdict === 'leak') {
      const strong = report.scan.available ? report.scan.findings.filter((f) => f.strong) : []
      const records = new Set(strong.map((f) => f.needle.record)).size
      throw new FlotillaError('residency-violation', `strong marks of ${records} local-only record(s) found in replicated documents of site ${report.site} (${strong.length} finding(s))`,
        'Treat it as a data-compliance incident: the findings name the record, the document and the change; see docs/compliance.md.')
    }
    if (report.verdict === 'unavailable') {
      throw new FlotillaError('internal', `site ${report.site} could not scan its replicated documents: ${report.scan.available ? '' : report.scan.reason}`,
        'The site build is older than this CLI or its store is not open; upgrade or restart the site and run the report again.')
    }
  })
}
