/**
 * The `-o table|json|yaml` choice every command offers, and printing a document in it:
 * JSON and YAML print the data exactly as the command got it (for scripts), a table
 * prints what the command renders for people.
 */
import { stringify } from 'yaml'
import { FlotillaError } from '../../model/errors.ts'
import type { CliStreams } from '../output.ts'

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const
export type OutputFormat = typeof OUTPUT_FORMATS[number]

export function parseOutputFormat (value: string): OutputFormat {
  const v = value === 'text' || value === 'wide' ? 'table' : value
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat
  throw new FlotillaError('input-invalid', `'--output' must be one of ${OUTPUT_FORMATS.join(', ')}: received ${JSON.stringify(value)}`,
    'Use -o table (default) for people, -o json or -o yaml for scripts.')
}

export interface PrintOptions {
  /**
   * JSON on a single line: what a long-running command prints once it is up (a script
   * reads one line and goes on), or a run's result that logs keep as one line.
   */
  jsonLine?: boolean
}

/** Prints `data` as JSON or YAML, or calls `table` for the human form. */
export function printAs (streams: CliStreams, format: OutputFormat, data: unknown, table: () => string, options: PrintOptions = {}): void {
  switch (format) {
    case 'json': streams.out((options.jsonLine === true ? JSON.stringify(data) : JSON.stringify(data, null, 2)) + '\n'); return
    case 'yaml': streams.out(stringify(data)); return
    default: streams.out(table())
  }
}
