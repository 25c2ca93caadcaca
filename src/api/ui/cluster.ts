import { api, errorText, signedOut } from './api.js';
import { LagChart } from './chart.js';
import type { ChartSample, ClusterView, NodeView } from './wire.js';
import { ago, confirmAction, formatBytes, h, num, replaceChildren, say } from './dom.js';

/**
 * The cluster overview: every member with a state a person reads (text and a symbol, colour only
 * as a third cue), live over server-sent events; the chart; the actions (promote, snapshot, verify,
 * downloads) and nodes waiting to join.
 */
interface SnapshotInfo {
  readonly index: number;
  readonly term: number;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
}

interface StatusBody {
  readonly mode: string;
  readonly learners?: readonly string[];
  readonly discovery?: { readonly peers: readonly { nodeId: string; clusterId: string; provisioned: boolean; host: string; addresses: readonly string[]; httpPort: number }[] };
}

const SYMBOL: Record<string, string> = {
  leader: '★', 'in sync': '✓', 'catching up': '↻', 'receiving snapshot': '⇣', unreachable: '✕', 'no leader': '?', learner: '＋',
};

const COLUMNS = ['Node', 'State', 'Role', 'Term', 'Commit / applied', 'Lag', 'Last contact', 'Last snapshot', 'WAL', 'Action'] as const;

export function renderCluster(main: HTMLElement): () => void {
  const leaderLine = h('p', { id: 'leader', class: 'leader-line', 'aria-live': 'polite' }, 'Waiting for the first update…');
  const live = h('p', { id: 'live', class: 'muted' }, 'Connecting…');
  const warnings = h('div', { id: 'warnings' });
  const actionNotice = h('p', { id: 'action-notice', role: 'status', class: 'notice info', hidden: true });
  const tbody = h('tbody', {});
  const table = h('table', { class: 'nodes', id: 'nodes' },
    h('caption', {}, 'Cluster members'),
    h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
    tbody);
  const chart = new LagChart();
  const snapshots = h('div', { id: 'snapshots' });
  const joins = h('div', { id: 'joins' });
  const exportNs = h('select', { id: 'export-ns' });
  const exportLink = h('a', { id: 'export-link', class: 'button', href: '/v1/admin/export?format=n-quads', download: 'export.nq' }, 'Download N-Quads export');

  replaceChildren(main,
    h('h1', {}, 'Cluster'),
    leaderLine, live, warnings, actionNotice,
    h('div', { class: 'table-wrap' }, table),
    chart.el,
    h('section', { 'aria-labelledby': 'actions-title', class: 'card' },
      h('h2', { id: 'actions-title' }, 'Snapshots and exports'),
      h('div', { class: 'row' },
        h('button', { type: 'button', id: 'take-snapshot', class: 'primary' }, 'Take a snapshot now'),
        h('a', { class: 'button', id: 'download-snapshot', href: '/v1/admin/snapshots/latest/file', download: '' }, 'Download latest snapshot'),
      ),
      h('p', { class: 'muted' }, 'Snapshot files are encrypted with the cluster\'s snapshot key; keep that key to restore them (knowdctl snapshot restore).'),
      snapshots,
      h('div', { class: 'row' }, h('label', { for: 'export-ns' }, 'Namespace'), exportNs, exportLink),
    ),
    h('section', { 'aria-labelledby': 'joins-title', class: 'card' }, h('h2', { id: 'joins-title' }, 'Nodes asking to join'), joins),
  );

  const rows = new Map<string, { tr: HTMLTableRowElement; cells: HTMLTableCellElement[]; button: HTMLButtonElement }>();
  let view: ClusterView | undefined;

  const promote = async (id: string): Promise<void> => {
    const leader = view?.leader ?? 'the current leader';
    const ok = await confirmAction(
      `Promote ${id}?`,
      `${leader} stops taking writes, brings ${id} up to its last entry (barrier: latest), then hands leadership over. Writes pause for a moment and none is lost; afterwards every node forwards writes to the new leader.`,
      `Promote ${id}`,
    );
    if (!ok) return;
    say(actionNotice, `Handing leadership to ${id}: waiting until it has every entry and takes over…`);
    try {
      const r = await api<{ leader: string; term: number }>('POST', '/v1/admin/promote', { nodeId: id });
      say(actionNotice, `${r.leader} now leads (term ${r.term}).`, 'ok');
    } catch (e) {
      say(actionNotice, `Promotion failed: ${errorText(e)}`, 'error');
    }
  };

  const row = (n: NodeView): { tr: HTMLTableRowElement; cells: HTMLTableCellElement[]; button: HTMLButtonElement } => {
    let r = rows.get(n.id);
    if (r === undefined) {
      const cells = COLUMNS.map((c, i) => (i === 0 ? h('th', { scope: 'row', 'data-label': c }) : h('td', { 'data-label': c })) as HTMLTableCellElement);
      const button = h('button', { type: 'button', class: 'promote' }, 'Promote');
      button.addEventListener('click', () => void promote(n.id));
      cells[COLUMNS.length - 1]!.append(button);
      const tr = h('tr', { 'data-node-id': n.id }, ...cells);
      r = { tr, cells, button };
      rows.set(n.id, r);
    }
    return r;
  };

  const update = (v: ClusterView): void => {
    view = v;
    leaderLine.textContent = v.leader === null ? 'No leader right now (an election is in progress or no majority is reachable).' : `Leader: ${v.leader} (term ${v.term})`;
    leaderLine.dataset['leader'] = v.leader ?? '';
    live.textContent = `Live · as seen from ${v.servedBy} · updated ${new Date(v.at).toLocaleTimeString()}`;
    replaceChildren(warnings, ...v.warnings.map((w) => h('p', { class: 'notice error' }, `Warning: ${w}`)));
    const seen = new Set<string>();
    for (const n of v.nodes) {
      seen.add(n.id);
      const r = row(n);
      const c = r.cells;
      r.tr.dataset['state'] = n.state;
      r.tr.className = `state-${n.state.replaceAll(' ', '-')}`;
      replaceChildren(c[0]!, n.id, n.self ? h('span', { class: 'tag' }, 'this node') : null, n.voter ? null : h('span', { class: 'tag' }, 'learner'));
      replaceChildren(c[1]!, h('span', { class: 'state' }, h('span', { 'aria-hidden': 'true' }, SYMBOL[n.state] ?? '•'), ` ${n.state}`), h('br'), h('small', { class: 'muted' }, n.detail));
      c[2]!.textContent = n.role;
      c[3]!.textContent = num(n.term);
      c[4]!.textContent = `${num(n.commitIndex)} / ${num(n.appliedIndex)}`;
      c[5]!.textContent = n.lagEntries === null ? '—' : `${num(n.lagEntries)} entries${n.lagSec !== null && n.lagSec > 0 ? `, ${n.lagSec} s` : ''}`;
      c[6]!.textContent = n.lastContactSec === null ? '—' : n.state === 'leader' ? '—' : `${n.lastContactSec} s ago`;
      c[7]!.textContent = n.lastSnapshot === null ? 'none' : `#${num(n.lastSnapshot.index)}, ${ago(n.lastSnapshot.createdAt)}`;
      c[8]!.textContent = n.walBytes === null ? '—' : `${formatBytes(n.walBytes)} (${num(n.walEntries)} entries)`;
      const canPromote = n.voter && n.state !== 'leader' && n.state !== 'unreachable' && v.leader !== null;
      r.button.hidden = !canPromote;
      r.button.setAttribute('aria-label', `Promote ${n.id} to leader`);
      if (r.tr.parentElement !== tbody) tbody.append(r.tr);
    }
    for (const [id, r] of rows) {
      if (!seen.has(id)) {
        r.tr.remove();
        rows.delete(id);
      }
    }
  };

  const loadSnapshots = async (): Promise<void> => {
    try {
      const r = await api<{ snapshots: SnapshotInfo[] }>('GET', '/v1/admin/snapshots');
      if (r.snapshots.length === 0) {
        replaceChildren(snapshots, h('p', { class: 'muted' }, 'This node holds no snapshot yet.'));
        return;
      }
      const result = h('p', { role: 'status', id: 'verify-result', hidden: true });
      const body = h('tbody', {}, ...r.snapshots.map((s) => {
        const btn = h('button', { type: 'button', 'aria-label': `Verify snapshot ${s.index}` }, 'Verify');
        btn.addEventListener('click', () => void (async () => {
          const ok = await confirmAction(`Verify snapshot #${s.index}?`, 'Reads the whole file and checks it as a restore would: SHA-256, decryption with the snapshot key, compression and record structure. Nothing is changed; a large snapshot takes a while.', 'Verify');
          if (!ok) return;
          say(result, `Verifying snapshot #${s.index}…`);
          try {
            const v = await api<{ ok: boolean; reason?: string }>('POST', '/v1/admin/snapshots/verify', { index: s.index });
            say(result, v.ok ? `Snapshot #${s.index} is intact.` : `Snapshot #${s.index} is damaged: ${v.reason ?? ''}`, v.ok ? 'ok' : 'error');
          } catch (e) {
            say(result, `Could not verify: ${errorText(e)}`, 'error');
          }
        })());
        return h('tr', {}, h('td', {}, `#${num(s.index)}`), h('td', {}, num(s.term)), h('td', {}, ago(s.createdAt)), h('td', {}, formatBytes(s.sizeBytes)), h('td', {}, h('code', { title: s.sha256 }, s.sha256.slice(0, 12))), h('td', {}, btn));
      }));
      replaceChildren(snapshots,
        h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, 'Snapshots on this node (newest first)'),
          h('thead', {}, h('tr', {}, ...['Index', 'Term', 'Taken', 'Size', 'SHA-256', 'Check'].map((c) => h('th', { scope: 'col' }, c)))), body)),
        result);
    } catch (e) {
      replaceChildren(snapshots, h('p', { class: 'notice error' }, `Cannot list snapshots: ${errorText(e)}`));
    }
  };

  const loadNamespaces = async (): Promise<void> => {
    try {
      const r = await api<{ namespaces: { name: string }[] }>('GET', '/v1/admin/namespaces');
      replaceChildren(exportNs, ...r.namespaces.map((n) => h('option', { value: n.name }, n.name)));
      syncExport();
    } catch {
      // The export link keeps the default namespace.
    }
  };
  const syncExport = (): void => {
    const ns = exportNs.value;
    exportLink.href = `/v1/admin/export?format=n-quads&namespace=${encodeURIComponent(ns)}`;
    exportLink.setAttribute('download', `${ns || 'export'}.nq`);
  };
  exportNs.addEventListener('change', syncExport);

  const loadJoins = async (): Promise<void> => {
    try {
      const s = await api<StatusBody>('GET', '/v1/cluster/status');
      const learners = s.learners ?? [];
      const strangers = (s.discovery?.peers ?? []).filter((p) => !p.provisioned);
      const items: HTMLElement[] = [];
      for (const id of learners) {
        const btn = h('button', { type: 'button' }, 'Approve as voter');
        btn.addEventListener('click', () => void (async () => {
          const ok = await confirmAction(`Make ${id} a voter?`, `${id} has joined as a learner (it receives the log but does not vote). As a voter it counts towards every majority: approve only once it has caught up.`, 'Make voter');
          if (!ok) return;
          try {
            await api('POST', '/v1/admin/members', { id, action: 'promote' });
            say(actionNotice, `${id} is now a voter.`, 'ok');
            void loadJoins();
          } catch (e) {
            say(actionNotice, `Could not make ${id} a voter: ${errorText(e)}`, 'error');
          }
        })());
        items.push(h('li', {}, `${id} — learner, joined with a token `, btn));
      }
      for (const p of strangers) items.push(h('li', {}, `${p.host || p.addresses.join(', ')} (node ${p.nodeId}) is on the network, not provisioned. Admit it with a join token: on this box run "knowdctl cluster token", then on it "knowdctl cluster join --token … --url …".`));
      replaceChildren(joins, items.length === 0
        ? h('p', { class: 'muted' }, 'No node is waiting. Nodes join with a single-use token (knowdctl cluster token); they appear here as learners until they count as voters.')
        : h('ul', {}, ...items));
    } catch (e) {
      replaceChildren(joins, h('p', { class: 'notice error' }, errorText(e)));
    }
  };

  const snapBtn = main.querySelector<HTMLButtonElement>('#take-snapshot')!;
  snapBtn.addEventListener('click', () => void (async () => {
    const ok = await confirmAction('Take a snapshot now?', 'This node writes a consistent, encrypted copy of its store at its applied index and compacts the log behind it. Reads and writes continue meanwhile.', 'Take snapshot');
    if (!ok) return;
    snapBtn.disabled = true;
    say(actionNotice, 'Taking a snapshot…');
    try {
      const s = await api<SnapshotInfo>('POST', '/v1/admin/snapshot');
      say(actionNotice, `Snapshot #${s.index} taken (${formatBytes(s.sizeBytes)}).`, 'ok');
      void loadSnapshots();
    } catch (e) {
      say(actionNotice, `Snapshot failed: ${errorText(e)}`, 'error');
    } finally {
      snapBtn.disabled = false;
    }
  })());

  // Live updates: the browser reconnects by itself after a drop (retry: 2 s from the server).
  const events = new EventSource('/v1/admin/events');
  events.addEventListener('history', (ev) => chart.reset(JSON.parse((ev as MessageEvent<string>).data) as ChartSample[]));
  events.addEventListener('cluster', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { view: ClusterView; sample: ChartSample };
    update(d.view);
    chart.add(d.sample);
  });
  events.addEventListener('expired', () => {
    events.close();
    signedOut();
  });
  events.addEventListener('error', () => {
    live.textContent = 'Connection to the node lost; retrying…';
  });
  void api<{ view: ClusterView }>('GET', '/v1/admin/cluster').then((r) => update(r.view), (e: unknown) => say(actionNotice, errorText(e), 'error'));
  void loadSnapshots();
  void loadNamespaces();
  void loadJoins();
  const slow = setInterval(() => void loadJoins(), 10_000);

  return () => {
    events.close();
    clearInterval(slow);
    chart.destroy();
  };
}
