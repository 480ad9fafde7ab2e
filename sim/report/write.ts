/**
 * Writes the report of one run into a directory: `report.json` (the whole result: options,
 * verdicts, stats, timeline, series) and `report.html` (self-contained page).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { RunResult } from '../run.ts'
import { reportHtml } from './html.ts'

export async function writeReport (dir: string, r: RunResult, replay: string): Promise<{ json: string, html: string }> {
  const root = resolve(dir)
  await mkdir(root, { recursive: true })
  const json = join(root, 'report.json')
  const html = join(root, 'report.html')
  await writeFile(json, JSON.stringify({ replay, ...r }, null, 2) + '\n')
  await writeFile(html, reportHtml(r, replay))
  return { json, html }
}
