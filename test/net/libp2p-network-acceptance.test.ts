import { runNetworkAcceptance } from '../ports/network-acceptance.ts'
import { createLibp2pWorld } from './libp2p-world.ts'

runNetworkAcceptance('libp2p over loopback TCP', async (topology) => await createLibp2pWorld(topology))
