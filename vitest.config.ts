import { writeFileSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// `.ci/run` tells a crashed vitest from a failed typecheck or lint by this mark: `npm test`
// loads this config only once both have passed.
if (process.env.FLOTILLA_TEST_STARTED) writeFileSync(process.env.FLOTILLA_TEST_STARTED, '')

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.FLOTILLA_TEST_JSON ? ['default', ['json', { outputFile: process.env.FLOTILLA_TEST_JSON }]] : ['default']
  }
})
