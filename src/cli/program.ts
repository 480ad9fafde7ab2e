/**
 * Builds the commander program with every subcommand. Kept apart from `main.ts` so
 * tests can run commands in-process with captured streams.
 */
import { readFileSync } from 'node:fs'
import { Command, type CommanderError } from 'commander'
import { FlotillaError } from '../model/errors.ts'
import { loadSiteConfig } from '../config/load.ts'
import type { CliStreams } from './output.ts'
import { addOutputOption, type OutputFlags } from './client/connection.ts'
import { parseOutputFormat, printAs } from './format/output-format.ts'
import { registerKubeEmulatorCommand } from './commands/kube-emulator.ts'
import { registerInitCommand } from './commands/init.ts'
import { registerSimCommand } from './commands/sim.ts'
import { registerSiteCommand } from './commands/site.ts'
import { registerAgentCommand } from './commands/agent.ts'
import { registerPeersCommand } from './commands/peers.ts'
import { registerStatusCommand } from './commands/status.ts'
import { registerGetCommand } from './commands/get.ts'
import { registerApplyCommand } from './commands/apply.ts'
import { registerDeleteCommand } from './commands/delete.ts'
import { registerExplainCommand } from './commands/explain.ts'
import { registerEventsCommand } from './commands/events.ts'
import { registerEvidenceCommand } from './commands/evidence.ts'
import { registerComplianceCommand } from './commands/compliance.ts'
import { registerDemoCommand } from './commands/demo.ts'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

export function createProgram (streams: CliStreams): Command {
  const program = new Command('flotilla')
    .description('Flotilla: a decentralized federation of Kubernetes sites')
    .version(pkg.version, '-v, --version')
    // Commander's own error line is suppressed: errors are printed once, with code and hint.
    .configureOutput({ writeOut: streams.out, writeErr: streams.err, outputError: () => {} })
    .exitOverride((err: CommanderError) => {
      // --help and --version are not failures.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') throw new CleanExit()
      throw new FlotillaError('input-invalid', err.message.replace(/^error: /, ''), 'Run `flotilla --help` or `flotilla <command> --help` for usage.')
    })

  const configCheck = program.command('config-check')
    .description('validate a site config file and print the resolved settings')
    .requiredOption('-c, --config <file>', 'site config (YAML or JSON)')
  addOutputOption(configCheck)
  configCheck.action(async (opts: { config: string } & OutputFlags) => {
    const format = parseOutputFormat(opts.output)
    const config = await loadSiteConfig(opts.config)
    // -o json|yaml: the config with defaults filled in and paths resolved, as the site will run it.
    printAs(streams, format, config, () => `${opts.config}: valid (site ${config.site.id}, ${config.clusters.length} cluster(s), ${config.roster.length} roster member(s))\n`)
  })

  registerInitCommand(program, streams)
  registerSiteCommand(program, streams)
  registerKubeEmulatorCommand(program, streams)
  registerSimCommand(program, streams)
  registerAgentCommand(program, streams)
  registerDemoCommand(program, streams)
  // Regional ops: commands that talk to a running site's API.
  registerPeersCommand(program, streams)
  registerStatusCommand(program, streams)
  registerGetCommand(program, streams)
  registerApplyCommand(program, streams)
  registerDeleteCommand(program, streams)
  registerExplainCommand(program, streams)
  registerEventsCommand(program, streams)
  registerEvidenceCommand(program, streams)
  registerComplianceCommand(program, streams)
  return program
}

/** Thrown by commander's exit override for --help/--version: nothing to report. */
export class CleanExit extends Error {}
