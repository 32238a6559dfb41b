/**
 * Entries over time: the log index against integration time, sampled at up to SAMPLES evenly
 * spaced indexes (two retrieve requests), drawn as an SVG line. Indexes grow with time, so the
 * curve is the log's cumulative size.
 */
import { RETRIEVE_LIMIT, api } from './api.js';

const SAMPLES = 2 * RETRIEVE_LIMIT;
const W = 600;
const H = 160;
const PAD = 4;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** sampleIndexes returns up to n distinct indexes spread over [0, size), first and last included. */
export function sampleIndexes(size: number, n: number): number[] {
  if (size <= n) return Array.from({ length: size }, (_, i) => i);
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round((i * (size - 1)) / (n - 1))))];
}

/** chart returns a figure of entries over time for a tree of size; it throws when the data does not allow one. */
export async function chart(size: number): Promise<HTMLElement> {
  const idx = sampleIndexes(size, SAMPLES);
  if (idx.length < 2) throw new Error('the log needs at least two entries');
  const batches = [];
  for (let i = 0; i < idx.length; i += RETRIEVE_LIMIT) batches.push(api.retrieve({ logIndexes: idx.slice(i, i + RETRIEVE_LIMIT) }));
  const points: [number, number][] = (await Promise.all(batches)).flat().map((e) => [e.anon.integratedTime, e.anon.logIndex + 1]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  if (t1 === t0) throw new Error(`all ${size} entries were integrated within the same second`);
  const x = (t: number) => PAD + ((t - t0) / (t1 - t0)) * (W - 2 * PAD);
  const y = (n: number) => H - PAD - (n / size) * (H - 2 * PAD);
  const from = new Date(t0 * 1000).toISOString();
  const to = new Date(t1 * 1000).toISOString();
  const label = `Entries over time: from 1 entry at ${from} to ${size} entries at ${to}, sampled at ${points.length} points.`;
  const pic = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart' });
  pic.append(svg('polyline', { points: points.map(([t, n]) => `${x(t).toFixed(1)},${y(n).toFixed(1)}`).join(' '), class: 'line' }));
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = `${size.toLocaleString('en-US')} entries from ${from} to ${to} (sampled at ${points.length} log indexes).`;
  fig.append(pic, cap);
  return fig;
}
