/** DOM building without innerHTML: every value from the log reaches the page as text. */

type Child = Node | string | number | false | null | undefined;
type Props = Record<string, string | number | boolean | EventListener | undefined>;

/** h returns a new element with attributes (on* props become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...kids: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

/** append adds children to el, skipping empty ones. */
export function append(el: Element, kids: Child[]): void {
  for (const k of kids) if (k !== false && k !== null && k !== undefined) el.append(typeof k === 'number' ? String(k) : k);
}

/** dl returns a description list of the rows whose value is present. */
export function dl(rows: [string, Child | Child[]][]): HTMLDListElement {
  const list = h('dl');
  for (const [term, value] of rows) {
    if (value === undefined || value === '' || value === null) continue;
    list.append(h('dt', {}, term), h('dd', {}, ...(Array.isArray(value) ? value : [value])));
  }
  return list;
}

/** code returns a <code> that wraps anywhere (hashes, base64). */
export function code(text: string): HTMLElement {
  return h('code', { class: 'wrap' }, text);
}

/** ago returns how long before now (ms) a Unix time in seconds was, in words. */
export function ago(unixSeconds: number, now = Date.now()): string {
  const s = Math.round(now / 1000 - unixSeconds);
  if (s < 0) return `in ${-s} s (clock skew?)`;
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** time returns a <time> for a Unix time in seconds, with its age. */
export function time(unixSeconds: number): HTMLElement {
  const iso = new Date(unixSeconds * 1000).toISOString();
  return h('time', { datetime: iso }, `${iso.replace('.000Z', 'Z')} (${ago(unixSeconds)})`);
}
