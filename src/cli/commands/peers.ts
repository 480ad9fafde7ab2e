/**
 * `flotilla peers`: the peers of the site the kubeconfig points at, as that site sees
 * them — connection, liveness from their signed heartbeats, how long ago the last one
 * arrived, how many changes this site still lacks from each, and bytes exchanged.
 */
import type { Command } from 'commander'
import type { PeerRow } from '../../api/flotilla-routes.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { fetchStatus } from '../client/flotilla-api.ts'
import { humanAge } from '../format/durations.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { bytesText } from '../format/quantities.ts'
import { renderTable } from '../format/table.ts'
import type { CliStreams } from '../output.ts'

/** `12D3KooWAbCd…wxyz`: enough of a peer id to tell peers apart in a table. */
export function shortPeerId (id: string): string {
  return id.length <= 20 ? id : `${id.slice(0, 12)}…${id.slice(-6)}`
}

export function lastHeartbeatText (p: PeerRow): string {
  return p.lastHeartbeatAgoMs === undefined ? 'never' : `${humanAge(p.lastHeartbeatAgoMs)} ago`
}

export function peersTable (peers: readonly PeerRow[], indent = ''): string {
  return renderTable(['site', 'peer-id', 'connected', 'liveness', 'last-heartbeat', 'behind', 'bytes-in', 'bytes-out'],
    peers.map((p) => [p.siteId, shortPeerId(p.peerId), p.connected ? 'yes' : 'no', p.liveness, lastHeartbeatText(p), p.behind, bytesText(p.bytesIn), bytesText(p.bytesOut)]), indent)
}

export function registerPeersCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('peers')
    .description('list this site\'s peers: connection, liveness, last heartbeat, changes behind, bytes in/out')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (flags: ConnectionFlags & OutputFlags) => {
    const format = parseOutputFormat(flags.output)
    const status = await withSiteClient(flags, 'admin', fetchStatus)
    if (format === 'table' && status.peers.length === 0) {
      streams.err(`site ${status.site} has no peers in its roster\n`)
      return
    }
    printAs(streams, format, { apiVersion: status.apiVersion, kind: 'PeerList', site: status.site, now: status.now, items: status.peers }, () => peersTable(status.peers))
  })
}
