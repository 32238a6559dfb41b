/** The page's frame: the main region a view fills, the status line, and their small builders. */
import { h } from './dom.js';

const main = document.getElementById('main') as HTMLElement;
export const status = document.getElementById('status') as HTMLElement;

export function heading(text: string): HTMLHeadingElement {
  return h('h2', { tabindex: -1 }, text);
}

export function show(...kids: Node[]): void {
  main.replaceChildren(...kids);
  main.querySelector('h2')?.focus({ preventScroll: false });
}

export function alert(text: string, kind: 'error' | 'warn' | 'info' = 'error'): HTMLElement {
  return h('p', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

