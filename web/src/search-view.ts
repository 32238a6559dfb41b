/** The search view: results newest first, paged, with neighbours for a log index. */
import { ApiError, INDEX_SEARCH_LIMIT, RETRIEVE_LIMIT, api, type RawEntry } from './api.js';
import { h, time } from './dom.js';
import { decodeEntry, type Entry } from './entry.js';
import { alert, heading, show } from './page.js';
import { classify, describe, find, type Found } from './search.js';
import { entryCount, state } from './state.js';

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

export async function searchView(q: string, page: number): Promise<void> {
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

