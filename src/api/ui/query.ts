import { ApiError, api, errorText } from './api.js';
import { h, num, replaceChildren, say } from './dom.js';

/**
 * The query console: a SPARQL editor, the namespace picker, results as a paged table, downloads as
 * CSV or JSON (made in the browser from the answer already shown), errors with line and column.
 */

interface QueryResult {
  readonly vars?: readonly string[];
  readonly rows?: readonly Record<string, string>[];
  readonly boolean?: boolean;
  readonly stats?: Record<string, unknown>;
}

const EXAMPLE = 'SELECT ?s ?p ?o\nWHERE { ?s ?p ?o }\nLIMIT 1000';
const PAGE_SIZES = [25, 50, 100, 500];

/** RFC 4180: quote every field that needs it, double the quotes inside. */
export function toCsv(vars: readonly string[], rows: readonly Record<string, string>[]): string {
  const cell = (v: string | undefined): string => (v === undefined ? '' : /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  return [vars.map((v) => cell(v)).join(','), ...rows.map((r) => vars.map((v) => cell(r[v])).join(','))].join('\r\n') + '\r\n';
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Character offset of a 1-based line and column in `text`, to put the caret on an error. */
function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i]!.length + 1;
  return Math.min(text.length, off + Math.max(0, column - 1));
}

export function renderQuery(main: HTMLElement): () => void {
  const ns = h('select', { id: 'query-ns' });
  const editor = h('textarea', { id: 'query-text', rows: 8, spellcheck: 'false', autocapitalize: 'off', 'aria-describedby': 'query-help' });
  editor.value = sessionStorage.getItem('knowd.query') ?? EXAMPLE;
  const run = h('button', { type: 'submit', class: 'primary', id: 'run-query' }, 'Run query');
  const notice = h('p', { id: 'query-notice', role: 'status', hidden: true });
  const error = h('p', { id: 'query-error', role: 'alert', class: 'notice error', hidden: true });
  const results = h('div', { id: 'results' });
  const form = h('form', { class: 'card query-form' },
    h('div', { class: 'row' }, h('label', { for: 'query-ns' }, 'Namespace'), ns),
    h('label', { for: 'query-text' }, 'SPARQL query'),
    editor,
    h('p', { id: 'query-help', class: 'muted' }, 'Ctrl+Enter runs the query. Read-only: updates go through the API or knowdctl.'),
    h('div', { class: 'row' }, run),
  );
  replaceChildren(main, h('h1', {}, 'Query'), form, notice, error, results);

  let result: { vars: readonly string[]; rows: readonly Record<string, string>[] } | undefined;
  let page = 0;
  let pageSize = 25;

  const renderResults = (): void => {
    if (result === undefined) return;
    const { vars, rows } = result;
    const pages = Math.max(1, Math.ceil(rows.length / pageSize));
    page = Math.min(page, pages - 1);
    const first = page * pageSize;
    const slice = rows.slice(first, first + pageSize);
    const prev = h('button', { type: 'button', id: 'prev-page', disabled: page === 0 }, '← Previous');
    const next = h('button', { type: 'button', id: 'next-page', disabled: page >= pages - 1 }, 'Next →');
    const size = h('select', { id: 'page-size' }, ...PAGE_SIZES.map((n) => h('option', { value: n, selected: n === pageSize }, String(n))));
    prev.addEventListener('click', () => {
      page--;
      renderResults();
      document.getElementById('prev-page')?.focus();
    });
    next.addEventListener('click', () => {
      page++;
      renderResults();
      document.getElementById('next-page')?.focus();
    });
    size.addEventListener('change', () => {
      pageSize = Number(size.value);
      page = 0;
      renderResults();
      document.getElementById('page-size')?.focus();
    });
    const csv = h('button', { type: 'button', id: 'download-csv' }, 'Download CSV');
    const json = h('button', { type: 'button', id: 'download-json' }, 'Download JSON');
    csv.addEventListener('click', () => download('results.csv', 'text/csv', toCsv(vars, rows)));
    json.addEventListener('click', () => download('results.json', 'application/json', JSON.stringify({ vars, rows }, null, 2)));
    const range = rows.length === 0 ? 'No rows' : `Rows ${num(first + 1)}–${num(first + slice.length)} of ${num(rows.length)}`;
    replaceChildren(results,
      h('div', { class: 'row pager' }, prev, h('span', { id: 'page-range', 'aria-live': 'polite' }, range), next,
        h('label', { for: 'page-size' }, 'Rows per page'), size, csv, json),
      h('div', { class: 'table-wrap' }, h('table', { id: 'results-table', class: 'results' },
        h('caption', {}, `Results, page ${page + 1} of ${pages}`),
        h('thead', {}, h('tr', {}, ...vars.map((v) => h('th', { scope: 'col' }, `?${v}`)))),
        h('tbody', {}, ...slice.map((r) => h('tr', {}, ...vars.map((v) => h('td', {}, r[v] ?? ''))))))));
  };

  const submit = async (): Promise<void> => {
    const text = editor.value;
    sessionStorage.setItem('knowd.query', text);
    say(error, '');
    say(notice, 'Running…');
    run.disabled = true;
    editor.removeAttribute('aria-invalid');
    const started = performance.now();
    try {
      const r = await api<QueryResult>('POST', '/v1/query', { query: text, ...(ns.value !== '' && { namespace: ns.value }) });
      const ms = Math.round(performance.now() - started);
      if (r.boolean !== undefined) {
        result = undefined;
        replaceChildren(results, h('p', { id: 'ask-result', class: 'card' }, `ASK answered ${r.boolean ? 'true' : 'false'}.`));
        say(notice, `Answered in ${ms} ms.`, 'ok');
      } else {
        result = { vars: r.vars ?? [], rows: r.rows ?? [] };
        page = 0;
        renderResults();
        say(notice, `${num(result.rows.length)} rows in ${ms} ms.`, 'ok');
      }
    } catch (e) {
      say(notice, '');
      // The old table would read as this query's answer: clear it.
      result = undefined;
      results.replaceChildren();
      say(error, errorText(e), 'error');
      editor.setAttribute('aria-invalid', 'true');
      if (e instanceof ApiError && typeof e.details['line'] === 'number') {
        const at = offsetOf(text, e.details['line'], typeof e.details['column'] === 'number' ? e.details['column'] : 1);
        editor.focus();
        editor.setSelectionRange(at, Math.min(text.length, at + 1));
      }
    } finally {
      run.disabled = false;
    }
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submit();
  });
  editor.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      void submit();
    }
  });
  void api<{ namespaces: { name: string }[] }>('GET', '/v1/admin/namespaces').then(
    (r) => replaceChildren(ns, ...r.namespaces.map((n) => h('option', { value: n.name }, n.name))),
    (e: unknown) => say(error, `Cannot list namespaces: ${errorText(e)}`, 'error'),
  );
  return () => undefined;
}
