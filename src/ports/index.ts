/** The ports of the site core: the only ways it touches time, randomness, disk, network and clusters. */
export * from './clock.ts'
export * from './rng.ts'
export * from './storage.ts'
export * from './network.ts'
export * from './cluster-driver.ts'
export * from './logger.ts'
