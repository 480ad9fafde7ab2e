/**
 * Headless Chromium for the dashboard's browser tests and benchmark: Debian's
 * `/usr/bin/chromium` driven by playwright-core, with a fresh profile in a temporary
 * directory, no background networking, and a bounded launch. `close` removes the
 * profile. Screenshots go to `artifacts/` (gitignored) at the repository root.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = process.env['FLOTILLA_CHROMIUM'] ?? '/usr/bin/chromium'
export const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/', import.meta.url))

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'
]

export interface Browser {
  context: BrowserContext
  page: Page
  close (): Promise<void>
}

export function chromiumAvailable (): boolean {
  return existsSync(CHROMIUM)
}

export async function launchChromium (viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'flotilla-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport, timeout: 30_000, colorScheme: 'light'
    })
    const page = context.pages()[0] ?? await context.newPage()
    return {
      context,
      page,
      async close () {
        await context.close().catch(() => {})
        rmSync(profile, { recursive: true, force: true })
      }
    }
  } catch (e) {
    rmSync(profile, { recursive: true, force: true })
    throw e
  }
}

/** Saves a full-page screenshot as `artifacts/<name>.png` and returns its path. */
export async function saveScreenshot (page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
