// Lint rules: typescript-eslint's recommended set plus the house rules that keep the
// site core deterministic (no Date.now / Math.random outside adapters and entry points).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// The site core: every folder of layers 1-4 in docs/architecture.md's module map. A new
// core folder goes here and there together; src/config reads files, so it is an edge.
const coreDirs = ['src/model', 'src/ports', 'src/identity', 'src/testing', 'src/store', 'src/view',
  'src/schedule', 'src/k8s', 'src/compliance', 'src/replication', 'src/liveness', 'src/controllers', 'src/site']
const worldModules = ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'level', 'libp2p', '@libp2p/*', '@chainsafe/*', '@kubernetes/*']

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
        { group: worldModules,
          message: 'The core talks to the world only through src/ports.' }] }]
    }
  },
  {
    // The Kubernetes HTTP plumbing the site API and the emulator share reads and writes
    // only the request and response they hand it: it may name node:http's types, and
    // still may not load node:http (or anything else above) at run time.
    files: ['src/k8s/http-io.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { group: worldModules,
          allowTypeImports: true, message: 'The core talks to the world only through src/ports.' }] }]
    }
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } }
  }
)
