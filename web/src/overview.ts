/** The overview: the latest verified checkpoint, the trusted key (pin or unpin), witnesses, the entries chart. */
import { api } from './api.js';
import { toHex } from './bytes.js';
import { chart } from './chart.js';
import { ago, code, dl, h, time } from './dom.js';
import { cosignatures, parseNote } from './note.js';
import { alert, heading, show, status } from './page.js';
import { entryCount, loadKey, savePin, state } from './state.js';

function keySection(rerender: () => Promise<void>): HTMLElement {
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
      ? h('button', { type: 'button', id: 'unpin', onclick: () => pin(undefined, rerender) }, 'Unpin this key')
      : h('button', { type: 'button', id: 'pin', onclick: () => pin(k.pem, rerender) }, 'Pin this key'),
    h('p', { class: 'hint' }, 'Pinning keeps this key in this browser: Verify then trusts it, not whatever key the server serves later.'),
  );
  return s;
}


async function pin(pem: string | undefined, rerender: () => Promise<void>): Promise<void> {
  if (!savePin(pem)) status.textContent = 'This browser does not allow the page to store a pinned key.';
  await loadKey();
  status.textContent = pem ? 'Key pinned.' : 'Key unpinned.';
  await rerender();
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

export function overviewLog(): HTMLElement {
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

/** overview renders the page; rerender is how pinning a key redraws the current view. */
export async function overview(rerender: () => Promise<void>): Promise<void> {
  const chartBox = h('section', { 'aria-labelledby': 'chart-h' }, h('h3', { id: 'chart-h' }, 'Entries over time'), h('p', {}, 'Loading…'));
  show(heading('Overview'), overviewLog(), keySection(rerender), witnessSection(), chartBox);
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
