import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it), or `LADDER_CHROMIUM`. */
export const CHROMIUM = process.env.LADDER_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Where a browser test's screenshots go: `.temporal/test-output/<name>` (git ignores `.temporal/`),
 * or under `LADDER_TEST_OUTPUT`; made if missing.
 */
export function screenshotDir(name: string): string {
  const dir = join(
    process.env.LADDER_TEST_OUTPUT ?? join(__dirname, '..', '..', '.temporal', 'test-output'),
    name,
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Headless Chromium with the flags this machine needs, and one page of `width`×`height` px open at
 * `url` that waits up to a minute for what a test looks for.
 *
 * @throws Error naming how to get Chromium when it is missing.
 */
export async function openPage(
  url: string,
  size = { width: 1280, height: 900 },
): Promise<{ browser: Browser; page: Page }> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set LADDER_CHROMIUM`,
    );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport: size });
  page.setDefaultTimeout(60_000);
  await page.goto(url);
  return { browser, page };
}
