/** The entry view: what an entry says (kind, signers, body) and the Verify button with its steps. */
import { ApiError, api, type RawEntry } from './api.js';
import { toHex } from './bytes.js';
import { code, dl, h, time } from './dom.js';
import { decodeEntry, type Entry, type Signer } from './entry.js';
import { alert, heading, show } from './page.js';
import { state } from './state.js';
import { verify, STEP_TITLES, type Step } from './verify.js';

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

export async function entryView(id: string): Promise<void> {
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

