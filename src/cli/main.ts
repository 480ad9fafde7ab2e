/**
 * The `flotilla` command line. Each subcommand lives in its own module and registers
 * itself on the program; this file only wires them and turns errors into exit codes.
 */
import { CleanExit, createProgram } from './program.ts'
import { processStreams, reportError } from './output.ts'

const program = createProgram(processStreams)
try {
  await program.parseAsync(process.argv)
} catch (e) {
  process.exitCode = e instanceof CleanExit ? 0 : reportError(e, processStreams)
}
