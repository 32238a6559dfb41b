// Debian's Chromium driven through playwright-core: never a downloaded browser build. Where the
// package is missing the browser tests skip with one line, except in CI (CAIRN_REQUIRE_CHROMIUM=1),
// where a missing browser fails them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** CHROMIUM is the browser binary: CAIRN_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium';

/** haveChromium reports whether the browser tests can run; it prints the one skip line, or throws where the browser is required. */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CAIRN_REQUIRE_CHROMIUM === '1') throw new Error(`CAIRN_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing: apt-get install -y chromium`);
  process.stdout.write(`explorer browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)\n`);
  return false;
}

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** launch starts Chromium headless with a fresh profile directory, removed by the returned close. */
export async function launch(): Promise<{ ctx: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'cairn-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 900 } });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** buildExplorer rebuilds build/explorer from web/, so tests see the sources as they are. */
export function buildExplorer(): void {
  const r = spawnSync(process.execPath, [resolve(import.meta.dirname, '..', '..', 'scripts', 'build-web.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-web failed: ${r.stderr}`);
}

/** SCREENSHOTS is the git-ignored folder the tests save pictures in. */
export const SCREENSHOTS = resolve(import.meta.dirname, '..', '..', 'test-results', 'explorer');
