/**
 * Cairn explorer: one page served by the log at GET /. Routes live in the URL fragment so every
 * view has a linkable address without server routes: #/ (overview), #/search/<query>[/<page>],
 * #/entry/<entry ID or UUID>.
 */
import { ApiError, INDEX_SEARCH_LIMIT, RETRIEVE_LIMIT, api, type RawEntry } from './api.js';
import { sha256, toHex } from './bytes.js';
import { decodeEntry, type Entry, type Signer } from './entry.js';
import { ago, code, dl, h, time } from './dom.js';
import { importLogKey, verifierKey, type LogKey } from './keys.js';
import { cosignatures, parseCheckpoint, parseNote, verifyLogSignature, type Checkpoint } from './note.js';
import { classify, describe, find, type Found } from './search.js';
import { chart } from './chart.js';
import { verify, STEP_TITLES, type Step } from './verify.js';

const POLL_MS = 5000;
const PIN_KEY = `cairn.pinnedKey:${location.host}${location.pathname}`;

interface State {
  servedPem?: string;
  pinnedPem?: string;
  key?: LogKey;
  keyError?: string;
  vkey?: string;
  /** The first checkpoint this page load verified: later ones must be consistent with it. */
  first?: Checkpoint;
  latest?: Checkpoint;
  latestNote?: string;
  /** Entries in the frozen shards before the active tree (after a rotation; 0 before). */
  offset: number;
  checkpointError?: string;
  /** When this page first saw the latest tree size (checkpoints carry no time of their own). */
  latestSeenAt?: number;
  lastFile?: { name: string; size: number; hex: string };
}

const state: State = { offset: 0 };

/** entryCount is the number of entries in the whole log: its indexes run 0 .. entryCount - 1 through every shard. */
const entryCount = (): number => state.offset + (state.latest?.size ?? 0);
const main = document.getElementById('main') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;

function pinned(): string | undefined {
  try {
    return localStorage.getItem(PIN_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: no pinning
  }
}

/** loadKey sets the trusted key: the pinned one if the user pinned one, else the one the log serves. */
async function loadKey(): Promise<void> {
  state.pinnedPem = pinned();
  try {
    state.servedPem = await api.publicKey();
    state.key = await importLogKey(state.pinnedPem ?? state.servedPem);
    state.keyError = undefined;
  } catch (e) {
    state.keyError = (e as Error).message;
  }
}

/** refreshCheckpoint reads the active tree's checkpoint and keeps it if the trusted key signed it. */
async function refreshCheckpoint(fetched?: Promise<{ note: string; offset: number }>): Promise<boolean> {
  try {
    const { note: text, offset } = await (fetched ?? api.activeTree());
    const note = parseNote(text);
    if (typeof note === 'string') throw new Error(note);
    const cp = parseCheckpoint(note.text);
    if (typeof cp === 'string') throw new Error(cp);
    if (!state.key) throw new Error('no trusted log key');
    const why = await verifyLogSignature(note, cp.origin, state.key);
    if (why) throw new Error(`checkpoint signature: ${why}`);
    // A rotation starts a new tree: its checkpoints are not consistent with the old tree's.
    if (offset !== state.offset) state.first = undefined;
    const grew = state.latest?.size !== cp.size || offset !== state.offset;
    state.offset = offset;
    if (grew) state.latestSeenAt = Date.now();
    state.first ??= cp;
    state.latest = cp;
    state.latestNote = text;
    state.checkpointError = undefined;
    return grew;
  } catch (e) {
    state.checkpointError = (e as Error).message;
    return true;
  }
}

function heading(text: string): HTMLHeadingElement {
  return h('h2', { tabindex: -1 }, text);
}

function show(...kids: Node[]): void {
  main.replaceChildren(...kids);
  main.querySelector('h2')?.focus({ preventScroll: false });
}

function alert(text: string, kind: 'error' | 'warn' | 'info' = 'error'): HTMLElement {
  return h('p', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// ---- Overview ----

function keySection(): HTMLElement {
  const s = h('section', { 'aria-labelledby': 'key-h' }, h('h3', { id: 'key-h' }, 'Log key'));
  if (state.keyError || !state.key) return (s.append(alert(`The log key could not be read: ${state.keyError ?? 'unknown'}`)), s);
  const k = state.key;
  if (state.pinnedPem && state.servedPem && state.pinnedPem.trim() !== state.servedPem.trim()) {
    s.append(alert('The log now serves a different public key from the one you pinned. The page keeps trusting the pinned key, so checks signed by the new key fail.', 'warn'));
  }
  s.append(
    dl([
      ['Trusted key', `${k.algorithm}${state.pinnedPem ? ' (pinned in this browser)' : ' (as served by the log; not pinned)'}`],
      ['Log ID (SHA-256 of the key)', code(toHex(k.logId))],
      ['Verifier key (C2SP vkey)', state.vkey ? code(state.vkey) : undefined],
      ['Public key (PEM)', h('pre', { class: 'pem' }, k.pem)],
    ]),
    state.pinnedPem
      ? h('button', { type: 'button', id: 'unpin', onclick: () => pin(undefined) }, 'Unpin this key')
      : h('button', { type: 'button', id: 'pin', onclick: () => pin(k.pem) }, 'Pin this key'),
    h('p', { class: 'hint' }, 'Pinning keeps this key in this browser: Verify then trusts it, not whatever key the server serves later.'),
  );
  return s;
}

async function pin(pem: string | undefined): Promise<void> {
  try {
    if (pem) localStorage.setItem(PIN_KEY, pem);
    else localStorage.removeItem(PIN_KEY);
  } catch {
    status.textContent = 'This browser does not allow the page to store a pinned key.';
  }
  await loadKey();
  status.textContent = pem ? 'Key pinned.' : 'Key unpinned.';
  await route();
}

function witnessSection(): HTMLElement {
  const s = h('section', { 'aria-labelledby': 'wit-h' }, h('h3', { id: 'wit-h' }, 'Witness cosignatures'));
  const note = state.latestNote ? parseNote(state.latestNote) : undefined;
  const cos = note && typeof note !== 'string' && state.latest ? cosignatures(note, state.latest.origin) : [];
  if (cos.length === 0) return (s.append(h('p', {}, 'No witness has cosigned the latest checkpoint.')), s);
  s.append(
    h(
      'ul',
      { class: 'witnesses' },
      ...cos.map((c) => h('li', {}, h('strong', {}, c.name), ` key ID ${c.keyId}, `, c.time === undefined ? 'no timestamp' : h('span', {}, 'cosigned ', time(c.time)))),
    ),
    h('p', { class: 'hint' }, 'Listed as the checkpoint carries them; the page does not know the witnesses\u2019 keys, so it does not check these signatures.'),
  );
  return s;
}

function overviewLog(): HTMLElement {
  const cp = state.latest;
  const s = h('section', { 'aria-labelledby': 'log-h', id: 'log' }, h('h3', { id: 'log-h' }, 'Latest checkpoint'));
  if (state.checkpointError) s.append(alert(`The latest checkpoint did not verify: ${state.checkpointError}`));
  if (!cp) return s;
  s.append(
    dl([
      ['Origin', h('span', { id: 'origin' }, cp.origin)],
      ['Tree size', h('span', { id: 'tree-size', 'aria-live': 'polite' }, cp.size.toLocaleString('en-US'))],
      ['Root hash', code(toHex(cp.rootHash))],
      ['Age', h('span', { id: 'cp-age' }, `this tree size first seen by the page ${ago((state.latestSeenAt ?? Date.now()) / 1000)}`)],
      ['Signature', 'verified with the trusted log key'],
      ['Checkpoint', h('pre', { id: 'cp-text' }, state.latestNote ?? '')],
    ]),
  );
  return s;
}

async function overview(): Promise<void> {
  const chartBox = h('section', { 'aria-labelledby': 'chart-h' }, h('h3', { id: 'chart-h' }, 'Entries over time'), h('p', {}, 'Loading…'));
  show(heading('Overview'), overviewLog(), keySection(), witnessSection(), chartBox);
  performance.mark('cairn:overview');
  const size = entryCount();
  const drawChart = chart(size).then(
    (fig) => chartBox.replaceChildren(chartBox.firstChild!, fig),
    (e: Error) => chartBox.replaceChildren(chartBox.firstChild!, alert(`No chart: ${e.message}`, 'info')),
  );
  const newest = size > 0 ? api.entryByIndex(size - 1).catch(() => undefined) : undefined;
  const e = await newest;
  if (e) document.querySelector('#log dl')?.append(h('dt', {}, 'Newest entry'), h('dd', {}, `#${e.anon.logIndex}, integrated `, time(e.anon.integratedTime)));
  await drawChart;
}

// ---- Search ----

const PAGE = RETRIEVE_LIMIT;

function resultItem(e: Entry): HTMLElement {
  return h(
    'li',
    { class: 'result' },
    h('a', { href: `#/entry/${e.id}` }, `Entry #${e.raw.anon.logIndex}`),
    h('span', { class: 'kind' }, `${e.kind} ${e.version}`),
    time(e.raw.anon.integratedTime),
    h('span', { class: 'identity' }, e.identity || 'no identity'),
  );
}

async function searchView(q: string, page: number): Promise<void> {
  const query = classify(q);
  const input = document.getElementById('q') as HTMLInputElement;
  if (input.value.trim() !== q.trim() && query.kind !== 'pem') input.value = q;
  const out = h('div', { 'aria-live': 'polite', id: 'results' }, h('p', {}, 'Searching…'));
  const file = state.lastFile && state.lastFile.hex === q ? alert(`${state.lastFile.name} (${state.lastFile.size.toLocaleString('en-US')} bytes) was hashed in your browser and not uploaded: SHA-256 ${state.lastFile.hex}.`, 'info') : undefined;
  show(heading('Search results'), h('p', {}, `Searching for ${describe(query)}.`), ...(file ? [file] : []), out);
  if (query.kind === 'unknown') {
    out.replaceChildren(alert('The search box takes an artifact SHA-256 (64 hex digits), an entry UUID or ID, a log index, an e-mail address, a URI such as https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main, or a PEM public key or certificate. A file can also be dropped on the page.', 'info'));
    return;
  }
  let found: Found;
  try {
    found = await find(query);
  } catch (e) {
    const tooMany = e instanceof ApiError && e.status === 422;
    out.replaceChildren(alert(tooMany ? `More than ${INDEX_SEARCH_LIMIT} entries match. The log's search API answers at most ${INDEX_SEARCH_LIMIT} entries per query, so this one cannot be paged through; search for something more specific (an artifact hash, a key).` : `Search failed: ${(e as Error).message}`));
    return;
  }
  // Newest first: the index search answers in ascending log order.
  const ids = [...found.ids].reverse();
  const total = found.direct.length + ids.length;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  if (total === 0) {
    const past = query.kind === 'index' && state.latest && query.index >= entryCount();
    out.replaceChildren(alert(past ? `Log index ${query.index} is past the end of the log: it holds ${entryCount()} entries, so the last index is ${entryCount() - 1}.` : 'No entries match.', 'info'));
    return;
  }
  if (page > pages) {
    out.replaceChildren(alert(`Page ${page} is past the last page of results (${pages}).`, 'info'), pager(q, pages, pages, total));
    return;
  }
  const start = (page - 1) * PAGE;
  const all = [...found.direct.map((e) => ({ e })), ...ids.map((id) => ({ id }))].slice(start, start + PAGE);
  const fetched = new Map<string, RawEntry>();
  const want = all.flatMap((x) => ('id' in x ? [x.id] : []));
  if (want.length) for (const e of await api.retrieve({ entryUUIDs: want })) fetched.set(e.id, e);
  const rows: RawEntry[] = all.flatMap((x) => ('e' in x ? [x.e] : fetched.has(x.id) ? [fetched.get(x.id)!] : []));
  const entries = await Promise.all(rows.map(decodeEntry));
  out.replaceChildren(
    h('p', { id: 'result-count' }, `${total} ${total === 1 ? 'entry' : 'entries'} found${total > PAGE ? `, showing ${start + 1}\u2013${start + rows.length}` : ''}.`),
    h('ul', { class: 'results' }, ...entries.map(resultItem)),
    pages > 1 ? pager(q, page, pages, total) : '',
    query.kind === 'index' ? neighbours(query.index) : '',
  );
}

function pager(q: string, page: number, pages: number, total: number): HTMLElement {
  const link = (p: number, text: string) => h('a', { href: `#/search/${encodeURIComponent(q)}/${p}` }, text);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Result pages' },
    page > 1 ? link(page - 1, '\u2190 Newer') : h('span', {}, 'First page'),
    h('span', {}, `Page ${page} of ${pages}`),
    page < pages ? link(page + 1, 'Older \u2192') : h('span', {}, total >= INDEX_SEARCH_LIMIT ? `Last page: the search API returns at most ${INDEX_SEARCH_LIMIT} entries` : 'Last page'),
  );
}

function neighbours(i: number): HTMLElement {
  const size = entryCount();
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Neighbouring entries' },
    i > 0 ? h('a', { href: `#/search/${i - 1}` }, `\u2190 Entry #${i - 1}`) : h('span', {}, 'This is the first entry'),
    i + 1 < size ? h('a', { href: `#/search/${i + 1}` }, `Entry #${i + 1} \u2192`) : h('span', {}, 'This is the newest entry'),
  );
}

// ---- Entry ----

function signerRows(s: Signer, n: number, count: number): HTMLElement {
  const title = count > 1 ? `Signature ${n + 1}` : 'Signature';
  const c = s.certificate;
  return h(
    'section',
    { 'aria-label': title },
    h('h4', {}, title),
    dl([
      ['Signature (base64)', code(s.signature)],
      ['Signer', c ? 'X.509 certificate' : s.key ? 'public key' : undefined],
      ['Subject', c?.subject],
      ['Subject alternative names', c ? (c.sans.length ? h('ul', { class: 'plain' }, ...c.sans.map((x) => h('li', {}, `${x.type}: `, h('span', { class: 'san' }, x.value)))) : 'none') : undefined],
      ['Issuer', c?.issuer],
      ['OIDC issuer (sigstore extension)', c?.oidcIssuer],
      ['Valid', c ? `${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}` : undefined],
      ['Serial', c ? code(c.serial) : undefined],
      ['Key algorithm', c?.keyAlgorithm ?? s.key?.algorithm],
      ['Key fingerprint (SHA-256 of SPKI)', s.key ? code(s.key.fingerprint) : undefined],
      ['Decoding', s.error],
    ]),
    h('details', {}, h('summary', {}, c ? 'Certificate (PEM)' : 'Public key (PEM)'), h('pre', { class: 'pem' }, s.pem)),
  );
}

function stepItem(s: { id: string; title: string }, result?: Step): HTMLElement {
  const st = result ? (result.ok ? 'pass' : 'fail') : 'pending';
  const word = result ? (result.ok ? 'Passed' : 'Failed') : 'Not run';
  return h('li', { 'data-step': s.id, 'data-status': st, class: `step ${st}` }, h('span', { class: 'badge' }, word), ' ', h('strong', {}, s.title), result ? h('p', { class: 'detail' }, result.detail) : '');
}

function verifySection(e: Entry): HTMLElement {
  const list = h('ol', { class: 'steps', id: 'steps' }, ...STEP_TITLES.map((s) => stepItem(s)));
  const summary = h('p', { id: 'verify-summary', role: 'status' });
  const k = state.key;
  const button = h('button', { type: 'button', id: 'verify', disabled: !k }, 'Verify');
  button.addEventListener('click', async () => {
    if (!k) return;
    performance.mark('cairn:verify-start');
    button.disabled = true;
    summary.textContent = 'Verifying…';
    list.replaceChildren(...STEP_TITLES.map((s) => stepItem(s)));
    const steps = await verify(e.raw, { key: k, first: state.first }, (s) => list.querySelector(`[data-step="${s.id}"]`)?.replaceWith(stepItem(s, s)));
    const failed = steps.filter((s) => !s.ok);
    summary.textContent = failed.length === 0 ? `All ${steps.length} checks passed.` : `Verification failed: ${failed.map((s) => s.title).join('; ')}.`;
    summary.className = failed.length === 0 ? 'ok' : 'bad';
    button.disabled = false;
    performance.measure('cairn:verify', 'cairn:verify-start');
  });
  return h(
    'section',
    { 'aria-labelledby': 'verify-h' },
    h('h3', { id: 'verify-h' }, 'Verify in this browser'),
    h('p', {}, k ? `Trusted log key: ${k.algorithm}, log ID ${toHex(k.logId).slice(0, 16)}…${state.pinnedPem ? ' (pinned)' : ' (as served; pin it on the overview)'}. ` : 'No trusted log key: ', state.first ? `First checkpoint seen: tree size ${state.first.size}.` : 'No verified checkpoint yet.'),
    button,
    summary,
    list,
  );
}

async function entryView(id: string): Promise<void> {
  show(heading('Entry'), h('p', {}, 'Loading…'));
  let raw: RawEntry;
  try {
    raw = /^[0-9]+$/.test(id) ? await api.entryByIndex(Number(id)) : await api.entryById(id);
  } catch (e) {
    show(heading('Entry'), alert(e instanceof ApiError && e.status === 404 ? `No entry ${id} in this log.` : `Could not read entry ${id}: ${(e as Error).message}`));
    return;
  }
  const e = await decodeEntry(raw);
  const link = `${location.origin}${location.pathname}#/entry/${e.id}`;
  const pretty = e.json ? JSON.stringify(e.json, null, 2) : `(not JSON) ${raw.anon.body}`;
  show(
    heading(`Entry #${raw.anon.logIndex}`),
    dl([
      ['Kind', `${e.kind} ${e.version}`],
      ['Log index', String(raw.anon.logIndex)],
      ['Integrated', time(raw.anon.integratedTime)],
      ['Entry ID', code(e.id)],
      ['UUID (leaf hash)', code(e.uuid)],
      [e.artifactHash?.label ?? 'Artifact hash', e.artifactHash ? code(`${e.artifactHash.algorithm}:${e.artifactHash.value}`) : undefined],
      ['Link', h('a', { href: link, id: 'permalink' }, link)],
    ]),
    ...e.signers.map((s, i) => signerRows(s, i, e.signers.length)),
    verifySection(e),
    h('section', { 'aria-labelledby': 'raw-h' }, h('h3', { id: 'raw-h' }, 'Raw body'), h('pre', { id: 'raw-body' }, pretty)),
  );
}

// ---- Routing, search box, file drop, live updates ----

async function route(): Promise<void> {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [view, ...rest] = hash.split('/');
  if (view === 'entry' && rest[0]) return entryView(rest[0]);
  if (view === 'search' && hash.length > 7) {
    const m = /^search\/([\s\S]*?)(?:\/([0-9]+))?$/.exec(hash)!;
    return searchView(m[1], Math.max(1, Number(m[2] ?? 1)));
  }
  return overview();
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
