import { api, errorText } from './api.js';
import { formatBytes, formatDuration, h, num, replaceChildren, usageBar } from './dom.js';

/** The node page: hardware and OS telemetry of the serving node, and its store. Refreshed every 5 s. */

interface Telemetry {
  readonly hostname: string;
  readonly platform: string;
  readonly release: string;
  readonly osUptimeSec: number;
  readonly hardware: {
    readonly cpuModel: string;
    readonly logicalCpus: number;
    readonly physicalCores: number;
    readonly memoryBytes: number;
    readonly numaNodes: readonly { id: number; cpus: readonly number[]; memoryBytes: number }[];
    readonly dataDisk: { kind: string; device: string; sizeBytes: number; freeBytes: number };
  };
  readonly cpu: { readonly usagePercentPerCore: readonly number[] | null; readonly load: readonly number[] };
  readonly memory: { readonly totalBytes: number; readonly usedBytes: number; readonly availableBytes: number };
  readonly temperatures: { readonly mainC: number | null; readonly maxC: number | null; readonly coresC: readonly number[] } | null;
  readonly diskIo: { readonly readsPerSec: number | null; readonly writesPerSec: number | null; readonly readBytesPerSec: number | null; readonly writeBytesPerSec: number | null } | null;
  readonly network: readonly { iface: string; addresses: readonly string[]; up: boolean; speedMbps: number | null; internal: boolean }[];
}

interface NodeInfo {
  readonly nodeUuid: string;
  readonly memberId: string;
  readonly version: string;
  readonly uptimeSec: number;
  readonly dataDir: string;
  readonly store: { kind: string; usedBytes: number; mapSizeBytes: number };
  readonly telemetry: Telemetry | null;
}

interface StoreStats {
  readonly log: { entries: number; bytes: number };
  readonly namespaces: readonly { name: string; quads: number; predicates: number }[];
}

function facts(rows: readonly [string, string | Node][]): HTMLElement {
  return h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function section(id: string, title: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

function table(caption: string, head: readonly string[], rows: readonly (readonly (string | Node)[])[]): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c)))))));
}

export function renderNode(main: HTMLElement): () => void {
  const body = h('div', { id: 'node-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const stamp = h('p', { class: 'muted', 'aria-live': 'off' });
  const refresh = h('button', { type: 'button', id: 'refresh-node' }, 'Refresh now');
  replaceChildren(main, h('h1', {}, 'This node'), h('div', { class: 'row' }, refresh, stamp), body);

  const load = async (): Promise<void> => {
    try {
      const [n, s] = await Promise.all([api<NodeInfo>('GET', '/v1/admin/node'), api<StoreStats>('GET', '/v1/store/stats')]);
      const t = n.telemetry;
      const parts: (HTMLElement | null)[] = [
        section('knowd-title', 'Knowd', facts([
          ['Version', n.version], ['Member id', n.memberId], ['Node id', n.nodeUuid], ['Running for', formatDuration(n.uptimeSec)], ['Data directory', n.dataDir],
        ])),
        section('store-title', 'Store',
          facts([['Engine', n.store.kind === 'lmdb' ? 'LMDB' : n.store.kind], ['Log', `${num(s.log.entries)} entries, ${formatBytes(s.log.bytes)}`]]),
          n.store.mapSizeBytes > 0 ? usageBar('LMDB map usage', n.store.usedBytes, n.store.mapSizeBytes, `${formatBytes(n.store.usedBytes)} of the ${formatBytes(n.store.mapSizeBytes)} map`) : h('p', {}, `${formatBytes(n.store.usedBytes)} used`),
          table('Quads per namespace', ['Namespace', 'Quads', 'Predicates'], s.namespaces.map((x) => [x.name, num(x.quads), num(x.predicates)]))),
      ];
      if (t === null) {
        parts.push(section('hw-title', 'Hardware', h('p', { class: 'muted' }, 'Telemetry is not available on this node.')));
      } else {
        const hw = t.hardware;
        const cores = t.cpu.usagePercentPerCore;
        parts.push(
          section('host-title', 'Host', facts([['Host name', t.hostname], ['System', `${t.platform}, kernel ${t.release}`], ['Up for', formatDuration(t.osUptimeSec)]])),
          section('cpu-title', 'CPU',
            facts([['Model', hw.cpuModel], ['Cores', `${hw.physicalCores} physical, ${hw.logicalCpus} logical`], ['Load (1, 5, 15 min)', t.cpu.load.map((x) => x.toFixed(2)).join(', ')]]),
            cores === null ? h('p', { class: 'muted' }, 'Per-core load is not available.') : h('div', { class: 'cores' }, ...cores.map((pct, i) => h('div', {}, h('span', { class: 'core-label' }, `Core ${i}`), usageBar(`Core ${i} load`, pct, 100, ''))))),
          section('mem-title', 'Memory', usageBar('Memory in use', t.memory.usedBytes, t.memory.totalBytes, `${formatBytes(t.memory.usedBytes)} of ${formatBytes(t.memory.totalBytes)} in use, ${formatBytes(t.memory.availableBytes)} available`),
            table('NUMA nodes', ['Node', 'CPUs', 'Memory'], hw.numaNodes.map((x) => [String(x.id), x.cpus.length === 0 ? '—' : `${x.cpus.length} (${x.cpus[0]}–${x.cpus[x.cpus.length - 1]})`, formatBytes(x.memoryBytes)]))),
          section('disk-title', 'Data disk',
            facts([['Device', `${hw.dataDisk.device} (${hw.dataDisk.kind})`],
              ['I/O', t.diskIo === null ? 'not available' : `${t.diskIo.readsPerSec ?? '—'} reads/s, ${t.diskIo.writesPerSec ?? '—'} writes/s; ${formatBytes(t.diskIo.readBytesPerSec)}/s read, ${formatBytes(t.diskIo.writeBytesPerSec)}/s written`]]),
            hw.dataDisk.sizeBytes > 0 ? usageBar('Data disk usage', hw.dataDisk.sizeBytes - hw.dataDisk.freeBytes, hw.dataDisk.sizeBytes, `${formatBytes(hw.dataDisk.freeBytes)} free of ${formatBytes(hw.dataDisk.sizeBytes)}`) : null),
          section('temp-title', 'Temperatures', t.temperatures === null
            ? h('p', { class: 'muted' }, 'This hardware reports no temperatures (common in virtual machines).')
            : facts([['CPU', t.temperatures.mainC === null ? '—' : `${t.temperatures.mainC} °C`], ['Hottest sensor', t.temperatures.maxC === null ? '—' : `${t.temperatures.maxC} °C`], ['Per core', t.temperatures.coresC.length === 0 ? '—' : t.temperatures.coresC.map((c) => `${c} °C`).join(', ')]])),
          section('net-title', 'Network interfaces', table('Interfaces', ['Interface', 'Addresses', 'Link', 'Speed'], t.network.map((x) => [x.iface, x.addresses.join(', ') || '—', x.up ? 'up' : 'down', x.speedMbps === null ? '—' : `${x.speedMbps} Mb/s`]))),
        );
      }
      replaceChildren(body, ...parts);
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      replaceChildren(body, h('p', { class: 'notice error', role: 'alert' }, `Cannot load this node's details: ${errorText(e)}`));
    }
  };
  refresh.addEventListener('click', () => void load());
  void load();
  const timer = setInterval(() => void load(), 5000);
  return () => clearInterval(timer);
}
