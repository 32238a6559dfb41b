/**
 * Cairn explorer: one page served by the log at GET /. Routes live in the URL fragment so every
 * view has a linkable address without server routes: #/ (overview), #/search/<query>[/<page>],
 * #/entry/<entry ID or UUID>. This file routes, wires the search box and file drop, and polls.
 */
import { api } from './api.js';
import { sha256, toHex } from './bytes.js';
import { ago } from './dom.js';
import { entryView } from './entry-view.js';
import { verifierKey } from './keys.js';
import { overview, overviewLog } from './overview.js';
import { status } from './page.js';
import { searchView } from './search-view.js';
import { loadKey, refreshCheckpoint, state } from './state.js';

const POLL_MS = 5000;

async function route(): Promise<void> {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [view, ...rest] = hash.split('/');
  if (view === 'entry' && rest[0]) return entryView(rest[0]);
  if (view === 'search' && hash.length > 7) {
    const m = /^search\/([\s\S]*?)(?:\/([0-9]+))?$/.exec(hash)!;
    return searchView(m[1], Math.max(1, Number(m[2] ?? 1)));
  }
  return overview(route);
}

function go(q: string): void {
  const target = `#/search/${encodeURIComponent(q.trim())}`;
  if (location.hash === target) void route();
  else location.hash = target;
}

async function searchFile(file: File): Promise<void> {
  status.textContent = `Hashing ${file.name} in your browser…`;
  const hex = toHex(await sha256(new Uint8Array(await file.arrayBuffer())));
  state.lastFile = { name: file.name, size: file.size, hex };
  status.textContent = `Hashed ${file.name}: ${hex}`;
  go(hex);
}

function wire(): void {
  const form = document.getElementById('search') as HTMLFormElement;
  const input = document.getElementById('q') as HTMLInputElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (input.value.trim()) go(input.value);
  });
  // Enter searches; Shift+Enter makes a new line (for pasting a PEM key).
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  const picker = document.getElementById('file') as HTMLInputElement;
  picker.addEventListener('change', () => picker.files?.[0] && void searchFile(picker.files[0]));
  const zone = document.getElementById('drop') as HTMLElement;
  // Drops anywhere are taken, so a missed drop zone never makes the browser open the file.
  document.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    zone.classList.add('over');
  });
  document.addEventListener('dragleave', () => zone.classList.remove('over'));
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    const f = ev.dataTransfer?.files[0];
    if (f) void searchFile(f);
  });
  const theme = document.getElementById('theme') as HTMLButtonElement;
  const themes = ['system', 'light', 'dark'];
  const apply = (t: string) => {
    if (t === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
    theme.textContent = `Theme: ${t}`;
  };
  let current = localStorage.getItem('cairn.theme') ?? 'system';
  apply(current);
  theme.addEventListener('click', () => {
    current = themes[(themes.indexOf(current) + 1) % themes.length];
    localStorage.setItem('cairn.theme', current);
    apply(current);
  });
  window.addEventListener('hashchange', () => void route());
}

async function poll(): Promise<void> {
  const changed = await refreshCheckpoint();
  const onOverview = !/^#\/(entry|search)\//.test(location.hash);
  const box = document.getElementById('log');
  if (onOverview && box && changed) box.replaceWith(overviewLog());
  else if (onOverview) {
    const age = document.getElementById('cp-age');
    if (age) age.textContent = `this tree size first seen by the page ${ago((state.latestSeenAt ?? Date.now()) / 1000)}`;
  }
  setTimeout(() => void poll(), POLL_MS);
}

async function start(): Promise<void> {
  wire();
  const checkpoint = api.activeTree();
  checkpoint.catch(() => {}); // read by refreshCheckpoint, which reports failures
  await loadKey();
  await refreshCheckpoint(checkpoint);
  if (state.key && state.latest) state.vkey = await verifierKey(state.latest.origin, state.key);
  const origin = document.getElementById('log-origin');
  if (origin && state.latest) origin.textContent = state.latest.origin;
  await route();
  // bench/explorer.ts reads these marks: time to first complete render, and Verify's duration.
  performance.mark('cairn:rendered');
  document.body.dataset.ready = 'true';
  setTimeout(() => void poll(), POLL_MS);
}

void start();
