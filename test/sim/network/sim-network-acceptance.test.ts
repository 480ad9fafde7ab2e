import { runNetworkAcceptance } from '../../ports/network-acceptance.ts'
import { createSimWorld } from './sim-world.ts'

runNetworkAcceptance('simulated network', async (topology) => await createSimWorld(topology))
