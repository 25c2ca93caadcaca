/** Small DOM helpers: elements are built with text nodes only (never innerHTML), so data cannot inject markup. */

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '—';
  if (sec < 60) return `${Math.round(sec * 10) / 10} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m} min ${Math.round(sec % 60)} s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} days ${hrs % 24} h`;
}

export function ago(iso: string | null | undefined, nowMs = Date.now()): string {
  if (iso === null || iso === undefined) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return `${formatDuration(Math.max(0, (nowMs - t) / 1000))} ago`;
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en');
}

/** A <meter>-like bar with its value as text too, so it reads without colour or a screen. */
export function usageBar(label: string, used: number, total: number, text: string): HTMLElement {
  const pct = total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0;
  const meter = h('meter', { min: 0, max: 100, value: pct, low: 70, high: 90, optimum: 0, 'aria-label': label });
  return h('div', { class: 'usage' }, meter, h('span', {}, text === '' ? `${pct}%` : `${pct}% — ${text}`));
}

let confirmBusy = false;

/**
 * A modal confirmation that says what will happen. Resolves true on the confirm button, false on
 * Cancel or Escape; focus returns to where it was.
 */
export function confirmAction(title: string, text: string, okLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  if (confirmBusy) return Promise.resolve(false);
  confirmBusy = true;
  const before = document.activeElement as HTMLElement | null;
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  byId('confirm-cancel').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      confirmBusy = false;
      before?.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
  });
}

/** A polite live region's message: screen readers announce it, everyone sees it. */
export function say(el: HTMLElement, text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  el.textContent = text;
  el.className = `notice ${kind}`;
  el.hidden = text === '';
}
