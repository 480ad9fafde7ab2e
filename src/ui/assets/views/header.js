// @ts-check
/** The header: this site's identity, its peers at a glance, and the live connection state. */
import { byId, h, replace } from '../lib/dom.js'
import { HEALTH_GLYPH, duration } from '../lib/format.js'

/** @param {any} summary */
export function renderIdentity (summary) {
  const s = summary.site
  replace(byId('identity'),
    h('span', { class: 'site-name', title: `peer id ${s.peerId}` }, s.id),
    h('span', { class: 'muted' }, ` ${s.region} · ${s.zone}`),
    h('span', { class: 'muted small', title: 'view version: grows by one on every change' }, ` · view v${summary.version}`),
    h('span', { class: 'muted small' }, ` · flotilla ${summary.build.version}`))
  document.title = `${s.id} · Flotilla`
}

const CHIPS = 6

/**
 * The peers in the header: how many are connected, and a chip for each one in trouble
 * (all of them when there are few), so 49 healthy peers do not crowd out the one that failed.
 * @param {ReadonlyArray<{ siteId: string, connected: boolean, liveness: string, lastHeartbeatAgoMs?: number }>} peers
 */
export function renderPeers (peers) {
  const connected = peers.filter((p) => p.connected).length
  const trouble = peers.filter((p) => p.liveness !== 'alive' || !p.connected)
  const shown = peers.length <= CHIPS ? peers : trouble.slice(0, CHIPS)
  const hidden = peers.length <= CHIPS ? 0 : trouble.length - shown.length
  replace(byId('peers'),
    h('span', { class: 'muted small' }, `peers ${connected}/${peers.length} connected${peers.length > CHIPS && trouble.length === 0 ? ', all alive' : ''}`),
    shown.map((p) => h('span', {
      class: `chip health-${p.liveness}`,
      title: `${p.siteId}: ${p.liveness}, ${p.connected ? 'connected' : 'not connected'}${p.lastHeartbeatAgoMs === undefined ? '' : `, heartbeat ${duration(p.lastHeartbeatAgoMs)} ago`}`
    }, h('span', { 'aria-hidden': 'true' }, HEALTH_GLYPH[p.liveness] ?? '?'), ` ${p.siteId}`)),
    hidden > 0 ? h('a', { class: 'chip', href: '#sites' }, `+${hidden} more in trouble`) : null)
}

/** @param {'connecting' | 'live' | 'down'} state */
export function renderConnection (state) {
  const el = byId('conn')
  el.dataset['state'] = state
  el.textContent = state === 'live' ? '● Live' : state === 'down' ? 'Reconnecting…' : 'Connecting…'
  el.title = state === 'live' ? 'Updates arrive as the federation changes' : 'The live update stream is interrupted; retrying'
}
