/** The simulator's engine: virtual time and its event queue, seeded randomness, and the run trace. */
export * from './virtual-clock.ts'
export * from '../../src/platform/event-queue.ts'
export * from './seeded-rng.ts'
export * from './trace.ts'
