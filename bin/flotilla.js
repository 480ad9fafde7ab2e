#!/usr/bin/env node
// Entry shim: refuse old Node with a clear message before any TypeScript module loads.
// Flotilla ships its own Node 22 through npm (node_modules/.bin/node); npm scripts and
// `npx flotilla` use it. Running this file with an older system node ends here, in the
// CLI's error format (src/cli/output.ts) and with the exit status errorExitCode gives
// `node-too-old` (src/model/errors.ts), which this file cannot import.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `error[node-too-old]: Node ${process.versions.node} is too old; Flotilla needs Node >= 22.18 (libp2p 3 and TypeScript type stripping)\n` +
    '  hint: run it through npm, which uses the Node 22 the project installs: `npx flotilla ...` or `npm start`,\n' +
    '        or call node_modules/.bin/node bin/flotilla.js directly.'
  )
  process.exit(3)
}
// Before anything loads Automerge (see src/platform/v8-flags.ts).
const { applySiteV8Flags } = await import('../src/platform/v8-flags.ts')
applySiteV8Flags()
await import('../src/cli/main.ts')
