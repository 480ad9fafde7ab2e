// @ts-check
/**
 * The dashboard app: loads every section once, then follows the site's live notices.
 * A `version` notice refetches the sections on screen (the others when they scroll into
 * view); a `status` notice updates the header's peers and the site cards at once.
 * Heartbeat ages tick in the browser between fetches. No framework, no build step.
 */
import { followLive, getJson } from './lib/api.js'
import { byId } from './lib/dom.js'
import { createSections } from './lib/sections.js'
import { bindClusterFilters, renderClusters } from './views/clusters.js'
import { bindDetail, refreshDetail, showDetail } from './views/detail.js'
import { loadEvidence } from './views/evidence.js'
import { renderConnection, renderIdentity, renderPeers } from './views/header.js'
import { renderOverview } from './views/overview.js'
import { renderSites, tickHeartbeats } from './views/sites.js'
import { bindTimeline, loadTimeline } from './views/timeline.js'
import { bindWorkloads, loadWorkloads } from './views/workloads.js'

const sections = createSections()
let shownVersion = 0

sections.add({
  name: 'summary',
  element: byId('overview'),
  alwaysVisible: true,
  async load () {
    const summary = await getJson('summary')
    renderIdentity(summary)
    renderPeers(summary.peers)
    renderOverview(summary)
    shownVersion = Math.max(shownVersion, summary.version)
    document.documentElement.dataset['version'] = String(shownVersion)
  }
})
sections.add({ name: 'sites', element: byId('sites'), async load () { renderSites(await getJson('sites')) } })
sections.add({ name: 'clusters', element: byId('clusters'), async load () { renderClusters(await getJson('clusters')) } })
sections.add({ name: 'workloads', element: byId('workloads'), load: loadWorkloads })
sections.add({ name: 'timeline', element: byId('timeline'), load: loadTimeline })
sections.add({ name: 'evidence', element: byId('evidence'), load: loadEvidence })
sections.add({ name: 'detail', element: byId('detail'), alwaysVisible: true, load: refreshDetail })

bindClusterFilters()
bindDetail()
bindWorkloads((key) => { void showDetail(key) }, () => sections.reload('workloads'))
bindTimeline(() => sections.reload('timeline'))

setInterval(tickHeartbeats, 1000)

// Load once the live stream is open, so no change can fall between the first fetch and
// the first notice; if the stream cannot open (a proxy that buffers), load anyway.
let loaded = false
let connections = 0
let freshStatus = false
const fallback = setTimeout(() => { loaded = true; sections.loadAll() }, 1500)
followLive({
  onOpen () {
    renderConnection('live')
    connections++
    freshStatus = true
    clearTimeout(fallback)
    if (!loaded) { loaded = true; sections.loadAll(); return }
    // Loaded without the stream, or reconnected after a break: anything may have changed.
    if (connections > 1) sections.loadAll()
    else sections.invalidate()
  },
  onVersion (version) {
    if (version === shownVersion) return
    sections.invalidate()
  },
  onStatus (status) {
    renderPeers(status.peers)
    // The first status after (re)connecting comes with the fresh load already under way.
    if (freshStatus) freshStatus = false
    else sections.reload('sites')
  },
  onDown () {
    renderConnection('down')
  }
})
