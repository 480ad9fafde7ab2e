// Lint rules: typescript-eslint's recommended set plus the house rules that keep the
// site core deterministic (no Date.now / Math.random outside adapters and entry points).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const coreDirs = ['src/model', 'src/ports', 'src/identity', 'src/store', 'src/view', 'src/schedule',
  'src/compliance', 'src/replication', 'src/controllers', 'src/site']

export default tseslint.config(
  { ignores: ['node_modules/**', '.flotilla/**', 'artifacts/**', 'src/ui/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error'
    }
  },
  {
    files: coreDirs.map((d) => `${d}/**/*.ts`),
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The core reads time only through the Clock port.' },
        { object: 'Math', property: 'random', message: 'The core draws randomness only through the Rng port.' },
        { object: 'performance', property: 'now', message: 'The core reads time only through the Clock port.' }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use Clock.setTimer so the simulator can drive time.' },
        { name: 'setInterval', message: 'Use Clock.setTimer so the simulator can drive time.' },
        { name: 'setImmediate', message: 'Real event-loop turns break simulator replay; wait only on the ports.' }],
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'level', 'libp2p', '@libp2p/*', '@chainsafe/*', '@kubernetes/*'],
          message: 'The core talks to the world only through src/ports.' }] }]
    }
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } }
  }
)
