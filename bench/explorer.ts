// Explorer timings on localhost, in Debian's Chromium: time to the first complete render of the
// overview (key read, checkpoint verified, chart drawn; a fresh browser context each run, so no
// cached assets) and time to a finished Verify of one entry (five steps, WebCrypto). Median of
// RUNS runs each, with the server floor measured in the same sitting: the same API requests the
// overview makes, from Node, sequentially.
//   npx tsx bench/explorer.ts [entries=10000] [runs=10]
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, createHash, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createApp } from '../src/api/index.js';
import { Log } from '../src/log/index.js';

// The page's global, inside page.evaluate (the project's tsconfig has no DOM library).
declare const location: { hash: string };

const ENTRIES = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-explorer-'));
const log = Log.open({ dataDir: dir, origin: 'bench.cairn.example/log', heartbeatMs: 0 });
const server = createApp(log, { publicUrl: 'http://127.0.0.1' }).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string).toString('base64');
const entry = (i: number) => {
  const data = Buffer.from(`artifact ${i}`);
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(data).digest('hex') } }, signature: { content: sign('sha256', data, privateKey).toString('base64'), publicKey: { content: pem } } },
  };
};
let lastId = '';
for (let i = 0; i < ENTRIES; i += 64) {
  const ids = await Promise.all(
    Array.from({ length: Math.min(64, ENTRIES - i) }, async (_, j) => {
      const r = await fetch(`${url}/api/v1/log/entries`, { method: 'POST', body: JSON.stringify(entry(i + j)) });
      if (r.status !== 201) throw new Error(`upload: ${r.status} ${await r.text()}`);
      return r.headers.get('etag')!;
    }),
  );
  lastId = ids[Math.floor(ids.length / 2)];
}
await log.flushIndex?.();

// Server floor: the overview's own requests (publicKey, checkpoint, 2 retrieve for the chart, newest entry).
const floor: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  await (await fetch(`${url}/`)).text();
  await (await fetch(`${url}/api/v1/log/publicKey`)).text();
  await (await fetch(`${url}/checkpoint`)).text();
  for (let k = 0; k < 2; k++) await (await fetch(`${url}/api/v1/log/entries/retrieve`, { method: 'POST', body: JSON.stringify({ logIndexes: Array.from({ length: 10 }, (_, j) => j * 97 + k) }) })).text();
  await (await fetch(`${url}/api/v1/log/entries?logIndex=${ENTRIES - 1}`)).text();
  floor.push(performance.now() - t0);
}

const browser = await chromium.launch({ executablePath: process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const loaded: number[] = [];
const overview: number[] = [];
const render: number[] = [];
const verify: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready]');
  const [o, d] = await page.evaluate(() => ['cairn:overview', 'cairn:rendered'].map((n) => performance.getEntriesByName(n)[0].startTime));
  overview.push(o);
  loaded.push(Number(await page.evaluate('performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd')));
  render.push(d);
  await page.evaluate((id) => (location.hash = `#/entry/${id}`), lastId);
  await page.waitForSelector('#verify');
  await page.click('#verify');
  await page.waitForSelector('#verify-summary.ok', { timeout: 30_000 });
  verify.push(await page.evaluate(() => performance.getEntriesByName('cairn:verify')[0].duration));
  await ctx.close();
}
await browser.close();
server.close();
await log.close();
rmSync(dir, { recursive: true, force: true });

const f = (x: number) => `${x.toFixed(1)} ms`;
console.log(`explorer on localhost, tree of ${ENTRIES} entries, ${RUNS} runs each (medians; min..max)`);
console.log(`  server floor (the overview's 6 requests from Node, sequential): ${f(median(floor))} (${f(Math.min(...floor))}..${f(Math.max(...floor))})`);
console.log(`  page and script loaded, cold cache (navigation start → DOMContentLoaded): ${f(median(loaded))} (${f(Math.min(...loaded))}..${f(Math.max(...loaded))})`);
console.log(`  first render, cold cache (navigation start → checkpoint verified and overview shown): ${f(median(overview))} (${f(Math.min(...overview))}..${f(Math.max(...overview))})`);
console.log(`  first complete render, cold cache (… → chart and newest entry drawn too): ${f(median(render))} (${f(Math.min(...render))}..${f(Math.max(...render))}), ${(median(render) / median(floor)).toFixed(1)}x the floor`);
console.log(`  Verify, click → all 5 steps done: ${f(median(verify))} (${f(Math.min(...verify))}..${f(Math.max(...verify))})`);
